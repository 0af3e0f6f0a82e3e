"""Where each layer must be computed: REF tracks shared by nearby windows and the cone of an ALT.

Coordinates are *oriented*: along the gene's strand, so a '-' strand window reads left to right
as the model sees it. A SpliceNet is a chain of stages (the stem, then each residual unit's two
convolutions); stage ``k`` widens the receptive field by ``radius[k]``, ``reach[k]`` in all.

* A REF track is one one-hot sequence under one N-masking (chrom, strand, transcript ends). Each
  window of width ``wid`` placed on it needs stage ``k`` on ``[reach[k], wid - reach[k])`` of the
  window (its backward cone); a track computes the union of those spans once for all windows.
* An ALT window is ``REF[:a] + M + REF[b:]`` (oriented). Stage ``k`` differs from the REF only
  on the forward cone ``[a - reach[k], a + len(M) + reach[k])``; intersected with the backward
  cone, that is all an ALT recomputes (the fastISM idea, Nair et al. 2022). Everything else is
  read from the REF track, left of the change at the same place, right of it shifted by the
  length change.
"""

from dataclasses import dataclass, field

import numpy as np


def stage_radii(units) -> list:
    """Radius of each stage of a SpliceNet: stem 0, then (k - 1) * d / 2 twice per unit."""
    radii = [0]
    for kernel, dilation in units:
        radii += [(kernel - 1) * dilation // 2] * 2
    return radii


@dataclass
class Alt:
    """One ALT window against its REF window, both oriented and ``wid`` / ``wid + m - (b - a)``
    long. ``track``/``offset`` say where the REF window sits on its track."""

    index: int  # position in the caller's task list
    a: int  # first changed index
    b: int  # first unchanged index after the change, in REF window coordinates
    m: np.ndarray  # (len, 4) the ALT bases, oriented
    track: int = -1
    offset: int = 0

    @property
    def geometry(self) -> tuple:
        return (self.a, self.b, len(self.m))


def split_alt(x_ref: np.ndarray, x_alt: np.ndarray, ref_len: int, alt_len: int, strand: str):
    """(a, b, M) with x_alt == concat(x_ref[:a], M, x_ref[b:]); checked, so a surprise in the
    window layout raises rather than scores wrongly."""
    wid = len(x_ref)
    half = wid // 2
    a = half if strand == "+" else wid - half - ref_len
    b = a + ref_len
    m = x_alt[a:a + alt_len]
    if not (np.array_equal(x_alt[:a], x_ref[:a]) and np.array_equal(x_alt[a + alt_len:], x_ref[b:])):
        raise ValueError("ALT window is not REF[:a] + ALT + REF[b:]")
    return a, b, m


@dataclass
class Track:
    """One masked sequence shared by REF windows; ``start`` is its first oriented coordinate."""

    key: tuple
    start: int
    length: int
    windows: dict = field(default_factory=dict)  # offset -> (wid, 4) one-hot REF window
    alts: list = field(default_factory=list)

    def onehot(self) -> np.ndarray:
        seq = np.zeros((self.length, 4), dtype=np.float32)
        for offset, x in self.windows.items():
            seq[offset:offset + len(x)] = x
        return seq


def build_tracks(entries, wid: int, span: int) -> list:
    """Group windows into tracks of at most ``span + wid`` positions.

    ``entries``: (key, oriented window start, x_ref, Alt). Windows with equal keys (same contig,
    strand and transcript ends, hence the same masking) whose starts lie within ``span`` of the
    track's first share it; input order does not matter (sorted here).
    """
    by_key = {}
    for key, start, x_ref, alt in entries:
        by_key.setdefault(key, []).append((start, x_ref, alt))
    tracks = []
    for key, items in by_key.items():
        items.sort(key=lambda i: i[0])
        current = None
        for start, x_ref, alt in items:
            if current is None or start - current.start > span:
                current = Track(key, start, wid)
                tracks.append(current)
            offset = start - current.start
            current.length = max(current.length, offset + wid)
            current.windows.setdefault(offset, x_ref)
            alt.offset = offset
            current.alts.append(alt)
    return tracks


class Cone:
    """Per-stage spans for one ALT geometry (a, b, m) on windows of width ``wid``."""

    def __init__(self, radii, wid: int, a: int, b: int, m: int):
        self.reach = np.cumsum(radii).tolist()
        self.half_context = self.reach[-1]
        self.a, self.b, self.m = a, b, m
        self.shift = (b - a) - m  # ALT index j >= a + m sits at REF index j + shift
        self.wid_alt = wid - self.shift
        # Stage k of the ALT is recomputed on [lo, hi): forward cone within backward cone.
        self.spans = [(max(a - r, r), min(a + m + r, self.wid_alt - r)) for r in self.reach]
        self.out = (self.half_context, self.wid_alt - self.half_context)  # output positions

    def ref_index(self, j: np.ndarray) -> np.ndarray:
        """REF window index of ALT indices outside the change."""
        return np.where(j >= self.a + self.m, j + self.shift, j)


class ConeBatch:
    """ALTs of any geometries computed as one batch.

    Coordinates are ``u = j - a``, relative to each ALT's change. Stage ``k`` is computed on
    ``spans[k]``, the union of the batch's :class:`Cone` spans there, for every ALT: one shape
    per stage for the whole batch. A position of that union outside an ALT's own backward cone
    holds a value no output of that ALT reads (its inputs may even be clamped reads of the REF
    track), so the outputs are those of each ALT alone; positions inside it are computed from
    exact inputs (inside the earlier union, or outside the forward cone where the REF's value is
    the ALT's). Left of the earlier union the REF is read at ``a + u``; right of it at
    ``a + shift + u``, since the union's right end lies past every ALT's inserted bases.
    """

    def __init__(self, radii, wid: int, a, b, m):
        a, b, m = (np.asarray(v, dtype=np.int64) for v in (a, b, m))
        self.reach = np.cumsum(radii).tolist()
        hc = self.reach[-1]
        self.a, self.m = a, m
        self.shift = (b - a) - m
        wid_alt = wid - self.shift
        self.spans = [(int(np.maximum(-r, r - a).min()),
                       int(np.minimum(m + r, wid_alt - r - a).max())) for r in self.reach]
        first = hc - a  # each ALT's first output, in u
        self.out = (int(first.min()), int((wid_alt - hc - a).max()))
        self.crop = first - self.out[0]  # where each ALT's outputs start in the union's
        self.n_out = wid_alt - 2 * hc  # and how many it has

    def parts(self, level: int, q0: int, q1: int):
        """Input positions [q0, q1) of a tensor laid out like stage ``level``: (left, middle,
        right) ranges in u, the middle computed (inside ``spans[level]``), the sides read from
        the REF."""
        lo, hi = self.spans[level]
        p0, p1 = min(max(lo, q0), q1), max(min(hi, q1), q0)
        if p0 >= p1:
            p0 = p1 = q0
        return (q0, p0), (p0, p1), (p1, q1)
