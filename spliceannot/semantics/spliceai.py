"""SpliceAI 1.3.1 delta-score semantics as plain functions: windows, masking, indel alignment, DS/DP.

``plan`` turns one variant into per-(ALT, gene) tasks holding the REF and ALT one-hot windows (or
an immediate outcome); a scorer runs the model on them; ``finish`` turns the two prediction tracks
into a :class:`DeltaScore`, the family's entry, written as INFO/SpliceAI (:data:`OUTPUT`).
Behaviour follows the published 1.3.1 tool (Jaganathan et al. 2019; github.com/Illumina/SpliceAI
README), re-derived, with the deliberate differences noted inline.
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..options.settings import Settings as _Settings
from ..records import NO_ALT, NO_CONTIG, NO_GENE, NO_SCORABLE_ALT, Output, Result
from ..sequence import one_hot, reverse_complement_onehot
from ..io.variant import Variant, alt_problem, trim_alleles
from ..io.vcf_header import encode_name
from .alignment import align_alt, align_first_base, align_general, align_strongest

# The one field list: the VCF header description, the entry's fields and every writer use it.
FIELDS = ["ALLELE", "SYMBOL", "DS_AG", "DS_AL", "DS_DG", "DS_DL", "DP_AG", "DP_AL", "DP_DG", "DP_DL"]
INFO_ID = "SpliceAI"
INFO_DESCRIPTION = (
    "SpliceAIv1.3.1 variant annotation. These include delta scores (DS) and delta positions (DP) "
    "for acceptor gain (AG), acceptor loss (AL), donor gain (DG), and donor loss (DL). "
    "Format: " + "|".join(FIELDS))
# --raw appends the REF and ALT probability at each of the four DP.
RAW_FIELDS = ["REF_AG", "ALT_AG", "REF_AL", "ALT_AL", "REF_DG", "ALT_DG", "REF_DL", "ALT_DL"]


def info_description(raw: bool = False) -> str:
    """The INFO header description: 1.3.1's, or with the --raw fields appended."""
    return INFO_DESCRIPTION + ("|" + "|".join(RAW_FIELDS) if raw else "")


class SpliceAIOutput(Output):
    """INFO/SpliceAI as 1.3.1 declares it; with --raw the eight REF/ALT probabilities follow."""

    def for_run(self, settings) -> Output:
        if not settings.raw:
            return self
        return dataclasses.replace(self, description=info_description(True),
                                   fields=self.fields + tuple(RAW_FIELDS))


OUTPUT = SpliceAIOutput(
    INFO_ID, INFO_DESCRIPTION, tuple(FIELDS),
    # SYMBOL percent-encoded as in the INFO text; DS as 1.3.1 prints them, probabilities as --raw
    formats={"SYMBOL": encode_name, **{f: ".2f" for f in FIELDS[2:6]},
             **{f: ".4f" for f in RAW_FIELDS}},
    json_names={"ALLELE": "allele", "SYMBOL": "symbol", "TRANSCRIPT": "transcript"},
    movable=True)

# Skip reasons (summary keys) of SpliceAI's checks, besides the generic ones of
# spliceannot.records. Record-level ones leave the record without INFO.
POS_PAST_END = "REF reaches past the contig end"
PAST_END = "window runs past contig end"
REF_MISMATCH = "REF does not match FASTA"
REF_TOO_LONG = "REF longer than 2D"
# Only with -D above half the model's context: the deleted span runs past the right end of the
# window (context + 2D + 1), so no ALT window exists. 1.3.1 (context 10000) meets this only with
# -D over 5001 and then skips the record, as its REF check reads the REF from the window.
REF_PAST_WINDOW = "REF reaches past the model window (-D above half the context)"


# The scoring options (-D, -M and those beyond 1.3.1, each declared once in
# spliceannot.default_plugins.builtin_options), plus the writer's ``minimal``: what plan and finish
# read, e.g. ``Settings(distance=50, pad_ends=True)``.
Settings = _Settings


@dataclass
class DeltaScore:
    """SpliceAI's entry: one ALT x gene, its DS and DP (and --raw probabilities)."""

    alt: str
    gene: str
    ds: tuple = None  # (AG, AL, DG, DL) floats, already masked; None for an unscored MNV
    dp: tuple = None  # (AG, AL, DG, DL) offsets from POS in genomic direction
    raw: tuple = None  # --raw: REF, ALT probability at each DP (RAW_FIELDS order); () unscored
    transcript: str = None  # the gene's transcript ID where the annotation has one (not printed)
    # With Settings.keep_tracks: the Tracks finish compared (plain arrays, not printed or stored).
    tracks: "Tracks" = field(default=None, compare=False, repr=False)

    def fields(self) -> dict:
        """ALLELE, SYMBOL, TRANSCRIPT (JSON and rows only), DS, DP and with --raw the REF/ALT
        probabilities; None where 1.3.1 prints '.'."""
        out = {"ALLELE": self.alt, "SYMBOL": self.gene, "TRANSCRIPT": self.transcript or None}
        out.update(zip(FIELDS[2:6], self.ds if self.ds is not None else [None] * 4))
        out.update(zip(FIELDS[6:], self.dp if self.ds is not None else [None] * 4))
        if self.raw is not None:
            out.update(zip(RAW_FIELDS, self.raw or [None] * 8))
        return out

    def info_text(self) -> str:
        """The entry as ``ALLELE|SYMBOL|DS_AG|...``; SYMBOL percent-encoded where it holds a
        character with a meaning there (``;`` would end the INFO value, ``|`` a field)."""
        extra = ""
        if self.raw is not None:
            extra = "|" + "|".join(f"{v:.4f}" for v in self.raw) if self.raw else "|." * 8
        if self.ds is None:
            return f"{self.alt}|{encode_name(self.gene)}|.|.|.|.|.|.|.|." + extra
        scores = "|".join(f"{v:.2f}" for v in self.ds)
        return f"{self.alt}|{encode_name(self.gene)}|{scores}|" + "|".join(str(p) for p in self.dp) + extra

    format = info_text  # the name 1.3.1-era callers use

    def at(self, offset: int, alt: str) -> "DeltaScore":
        """The same scores for the change spelled ``alt`` at POS + ``offset``: DP are relative
        to POS, so they move by ``-offset``."""
        dp = None if self.dp is None else tuple(d - offset for d in self.dp)
        return dataclasses.replace(self, alt=alt, dp=dp)


@dataclass
class Tracks:
    """What ``finish`` compared, in genomic order (Settings.keep_tracks): ``ref`` and ``alt``
    (n, 3) with the ALT already on REF coordinates, ``alt_raw`` the ALT before that alignment,
    ``centre`` the index of the task's window centre (its ``pos``) in ``ref``, and the task's
    ``gene`` and ``pos``."""

    ref: np.ndarray
    alt: np.ndarray
    alt_raw: np.ndarray
    centre: int
    gene: object
    pos: int


@dataclass
class Task:
    """One ALT x gene work order: the windows and all the geometry later stages need.

    Windows are in the gene's strand orientation. ``pos`` is where the window is centred: the
    record's POS, moved past the bases REF and ALT share with --trim-alleles (``shift``), and the
    ALT window is ``x_ref`` with its ``ref_len`` bases at the centre replaced by ``alt_len`` bases.
    """

    alt: str  # the record's ALT as written (the entry's ALLELE)
    gene: object  # annotation.Gene
    x_ref: np.ndarray  # (wid, 4)
    x_alt: np.ndarray  # (wid + alt_len - ref_len, 4)
    ref_len: int  # REF bases the change replaces in the window
    alt_len: int  # ALT bases put in their place
    chrom: str
    pos: int  # 1-based window centre
    mask_offset: int  # nearest exon boundary, relative to pos
    ref_key: tuple  # tasks with equal keys have identical x_ref
    mask_key: tuple  # (chrom, strand, left, right): transcript ends N-masked inside the window
    start: int  # first coordinate of the window along the strand (negated on '-')
    name: str = None  # the entry's SYMBOL field when it is not gene.name (--per-transcript)
    shift: int = 0  # how far pos moved from the record's POS (trimming); DP add it back
    trimmed: bool = False  # lengths come from trimming: align any REF/ALT lengths
    sites: tuple = None  # (acceptor, donor) offsets from pos, for --mask-mode positionwise
    # How x_ref and x_alt are made when first read: (Window, key, lo, hi, ALT, strand), or None.
    # A record a lookup answers never builds its one-hot windows (most of planning's cost).
    windows: tuple = field(default=None, repr=False, compare=False)

    def __getstate__(self):  # windows travel built (a Window holds the open reference)
        self.x_ref
        return {**self.__dict__, "windows": None}


def _window_of(name):
    slot = "_" + name

    def get(self):
        if self.windows is not None:
            window, key, lo, hi, alt, strand = self.windows
            self.windows = None
            self._x_ref, self._x_alt = window.task_windows(key, lo, hi, alt, self.ref_len, strand)
        return self.__dict__.get(slot)

    def put(self, value):
        self.__dict__[slot] = value

    return property(get, put, doc=f"the task's {name} one-hot window, (wid, 4) float32")


Task.x_ref = _window_of("x_ref")
Task.x_alt = _window_of("x_alt")


class Window:
    """One record's one-hot window (``wid`` bases centred on POS), read from the FASTA and
    encoded when a task first needs it; each gene's transcript-masked copy is made once."""

    def __init__(self, read, wid: int):
        self._read, self.wid = read, wid
        self._x = None
        self._masked = {}

    def task_windows(self, key, lo: int, hi: int, alt: str, ref_len: int, strand: str) -> tuple:
        """(x_ref, x_alt) of one task, in the gene's strand orientation."""
        x_ref = self._masked.get(key)
        if x_ref is None:
            if self._x is None:
                self._x = one_hot(self._read())
                self._read = None
            x_ref = self._x.copy()
            x_ref[:lo] = 0
            x_ref[self.wid - hi:] = 0
            self._masked[key] = x_ref
        half = self.wid // 2
        x_alt = np.concatenate([x_ref[:half], one_hot(alt), x_ref[half + ref_len:]])
        if strand == "-":
            return reverse_complement_onehot(x_ref), reverse_complement_onehot(x_alt)
        return x_ref, x_alt


@dataclass
class Plan:
    """What to do with one record (a :class:`spliceannot.records.Plan`): ``reason`` set means
    pass it through unscored."""

    variant: Variant
    reason: str = None
    items: list = field(default_factory=list)  # DeltaScore (immediate) or Task, ALT-major
    alt_skips: list = field(default_factory=list)  # (alt, reason)

    def tasks(self) -> list:
        return [i for i in self.items if isinstance(i, Task)]

    def result(self, scores=()) -> Result:
        """The record's result, given the DeltaScore of each of ``tasks()`` in order."""
        scores = iter(scores)
        entries = [next(scores) if isinstance(i, Task) else i for i in self.items]
        return Result(self.variant, self.reason, entries if self.reason is None else [],
                      list(self.alt_skips))


def plan(variant: Variant, reference, genes, context: int, settings: Settings) -> Plan:
    """Checks and windows for one variant, in 1.3.1's order; no model runs here."""
    if (settings.trim_alleles or settings.minimal) and variant.alts:
        return _plan_trimmed(variant, reference, genes, context, settings)
    return _plan_one(variant, reference, genes, context, settings)


def _plan_one(variant: Variant, reference, genes, context: int, settings: Settings) -> Plan:
    result = Plan(variant)
    if not variant.alts:
        result.reason = NO_ALT
        return result
    overlapping = genes.overlapping(variant.chrom, variant.pos)
    if not overlapping:  # 1.3.1 checks genes first; a contig the FASTA lacks is named as such
        result.reason = NO_GENE if reference.resolve(variant.chrom) is not None else NO_CONTIG
        return result
    contig = reference.resolve(variant.chrom)
    if contig is None:
        result.reason = NO_CONTIG
        return result
    cov = settings.cov
    wid = context + cov
    half = wid // 2
    start = variant.pos - half  # 1-based first base of the window
    length = reference.length(contig)
    if start < 1 or variant.pos + half > length:
        if not settings.pad_ends:
            result.reason = PAST_END
            return result
        if variant.pos + len(variant.ref) - 1 > length:  # no bases to pad around
            result.reason = POS_PAST_END
            return result
        # --pad-ends: bases past either end are N, as the transcript mask already pads.
        left, right = max(1 - start, 0), max(variant.pos + half - length, 0)
        window = Window(lambda: "N" * left + reference.fetch(
            contig, max(start - 1, 0), min(variant.pos + half, length)) + "N" * right, wid)
    else:
        window = Window(lambda: reference.fetch(contig, start - 1, variant.pos + half), wid)
    ref_len = len(variant.ref)
    # Deliberately case-insensitive on both sides (1.3.1 upper-cases only the FASTA). The REF is
    # read on its own: with a short-context model a long REF can reach past the window.
    fasta_ref = reference.fetch(contig, variant.pos - 1, min(variant.pos - 1 + ref_len, length))
    if fasta_ref.upper() != variant.ref.upper():
        result.reason = REF_MISMATCH
        return result
    if ref_len > 2 * settings.distance:
        result.reason = REF_TOO_LONG
        return result
    trimming = settings.trim_alleles or settings.minimal
    if ref_len > wid - half and not trimming:  # the ALT window would lose its right flank
        result.reason = REF_PAST_WINDOW
        return result

    for alt in variant.alts:
        problem = alt_problem(alt)
        if problem:
            result.alt_skips.append((alt, problem))
            continue
        r_len, a_alt = ref_len, alt
        if trimming:  # prefix already trimmed by _plan_trimmed: offset is 0
            _, r_len, a_alt = trim_alleles(variant.ref, alt)
            if r_len > wid - half:
                result.alt_skips.append((alt, REF_PAST_WINDOW))
                continue
        for gene in overlapping:
            name = entry_name(gene, settings)
            if r_len > 1 and len(a_alt) > 1 and not settings.trim_alleles:
                # MNV/delins: 1.3.1 reports "." for every field
                result.items.append(DeltaScore(alt, name, raw=() if settings.raw else None,
                                               transcript=gene.transcript))
                continue
            # Every base outside the transcript [tx_start, tx_end] becomes N.
            lo = max(half + (gene.tx_start - variant.pos), 0)
            hi = max(half - (gene.tx_end - variant.pos), 0)
            # The N-masking a window gets: transcript ends only where they fall inside it, so
            # overlapping genes whose windows are masked alike can share model work.
            mask_key = (variant.chrom, gene.strand, gene.tx_start if lo > 0 else None,
                        gene.tx_end if hi > 0 else None)
            oriented = start if gene.strand == "+" else -(variant.pos + half)
            task = Task(alt, gene, None, None, r_len, len(a_alt), variant.chrom, variant.pos,
                        gene.nearest_boundary(variant.pos),
                        (variant.chrom, variant.pos, gene.strand, gene.tx_start, gene.tx_end, wid),
                        mask_key, oriented, trimmed=trimming,
                        windows=(window, id(gene), lo, hi, a_alt, gene.strand))
            if name != gene.name:
                task.name = name
            if settings.mask and settings.mask_mode == "positionwise":
                task.sites = splice_sites(gene, variant.pos)
            result.items.append(task)
    if not result.items:
        result.reason = NO_SCORABLE_ALT
    return result


def _plan_trimmed(variant, reference, genes, context, settings) -> Plan:
    """--trim-alleles (and ``minimal``): each ALT planned as its own variant, moved past the
    bases it shares with REF, so the windows (and DS) are those of the shortest spelling; DP
    stay relative to POS."""
    result = Plan(variant)
    reasons, failed = [], []
    for alt in variant.alts:
        offset = trim_alleles(variant.ref, alt)[0] if alt_problem(alt) is None else 0
        moved = Variant(variant.chrom, variant.pos + offset, variant.ref[offset:], [alt[offset:]],
                        variant.id, variant.line)
        sub = _plan_one(moved, reference, genes, context, settings)
        for alt_skip in sub.alt_skips:
            result.alt_skips.append((alt, alt_skip[1]))
        if sub.reason is not None and not sub.items:
            if sub.reason != NO_SCORABLE_ALT:
                reasons.append(sub.reason)
                failed.append((alt, sub.reason))
            continue
        for item in sub.items:
            item.alt = alt
            if isinstance(item, Task):
                item.shift = offset
        result.items.extend(sub.items)
    if not result.items:
        result.reason = reasons[0] if reasons else NO_SCORABLE_ALT
    else:  # an ALT whose own spelling cannot be scored is counted, not dropped
        result.alt_skips.extend(failed)
    return result


def entry_name(gene, settings: Settings) -> str:
    """The SYMBOL field: the gene's name, or NAME/TRANSCRIPT with --per-transcript."""
    if settings.per_transcript and gene.transcript and gene.transcript != gene.name:
        return f"{gene.name}/{gene.transcript}"
    return gene.name


def splice_sites(gene, pos: int) -> tuple:
    """Annotated acceptor and donor positions of a gene, as offsets from pos (genomic order)."""
    acceptors, donors = gene.splice_sites()
    return (np.asarray(acceptors, dtype=np.int64) - pos, np.asarray(donors, dtype=np.int64) - pos)


def genomic_tracks(task: Task, y_ref: np.ndarray, y_alt: np.ndarray, settings: Settings) -> tuple:
    """REF and ALT tracks in genomic order, the ALT on REF coordinates (what DS/DP compare)."""
    if task.gene.strand == "-":
        y_ref, y_alt = y_ref[::-1], y_alt[::-1]
    cov = settings.cov
    if task.trimmed:
        r, a = task.ref_len, task.alt_len
        if settings.delins_rule == "first-base" and r > 1 and a > 1:
            y_alt = align_first_base(y_alt, cov // 2, r, a)
        elif settings.delins_rule == "strongest-ref" and r > 1 and a > 1 and r != a:
            y_alt = align_strongest(y_ref, y_alt, cov // 2, r, a)
        else:
            y_alt = align_general(y_alt, cov // 2, r, a)
    else:
        y_alt = align_alt(y_alt, task.ref_len, task.alt_len, cov)
    return y_ref, y_alt


def finish(task: Task, y_ref: np.ndarray, y_alt: np.ndarray, settings: Settings) -> DeltaScore:
    """DS/DP from the model's REF and ALT tracks (strand orientation, (n, 3) each)."""
    cov = settings.cov
    raw_alt = (y_alt[::-1] if task.gene.strand == "-" else y_alt) if settings.keep_tracks else None
    y_ref, y_alt = genomic_tracks(task, y_ref, y_alt, settings)
    if y_alt.dtype != y_ref.dtype:
        y_ref = y_ref.astype(y_alt.dtype)
    gain_a = y_alt[:, 1] - y_ref[:, 1]
    gain_d = y_alt[:, 2] - y_ref[:, 2]
    loss_a = y_ref[:, 1] - y_alt[:, 1]
    loss_d = y_ref[:, 2] - y_alt[:, 2]
    if task.sites is not None:  # --mask-mode positionwise
        gain_a, loss_a, gain_d, loss_d = _mask_positionwise(
            (gain_a, loss_a, gain_d, loss_d), task.sites, cov)
    ds, dp, raw = [], [], []
    for track, is_gain, cls in ((gain_a, True, 1), (loss_a, False, 1), (gain_d, True, 2),
                                (loss_d, False, 2)):
        idx = int(track.argmax())
        if settings.raw:
            raw += [float(y_ref[idx, cls]), float(y_alt[idx, cls])]  # first maximum on ties, as numpy's argmax
        offset = idx - cov // 2
        value = float(track[idx])
        if settings.mask and task.sites is None:
            # Gains at the annotated boundary and losses anywhere else are zeroed (x 0 keeps -0.0).
            at_site = offset == task.mask_offset
            if at_site == is_gain:
                value *= 0
        ds.append(value)
        dp.append(offset)
    if task.shift:  # offsets from the trimmed position back to the record's POS
        dp = [d + task.shift for d in dp]
    score = DeltaScore(task.alt, task.name or task.gene.name, tuple(ds), tuple(dp),
                       tuple(raw) if settings.raw else None, task.gene.transcript)
    if settings.keep_tracks:
        score.tracks = Tracks(y_ref, y_alt, raw_alt, cov // 2, task.gene, task.pos)
    return score


def _mask_positionwise(tracks, sites, cov):
    """Zero acceptor gains at annotated acceptors and acceptor losses everywhere else (donors
    alike) before the maximum is taken, so a masked position can never hide a real one."""
    half = cov // 2
    out = []
    for (track, is_gain), offsets in zip(zip(tracks, (True, False, True, False)),
                                         (sites[0], sites[0], sites[1], sites[1])):
        annotated = np.zeros(len(track), dtype=bool)
        inside = offsets[(offsets >= -half) & (offsets <= half)]
        annotated[inside + half] = True
        keep = ~annotated if is_gain else annotated
        out.append(np.where(keep, track, 0).astype(track.dtype))
    return out
