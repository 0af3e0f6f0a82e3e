"""Pangolin 1.0.2's semantics: its checks and windows (plan), its numbers and text (finish).

What Pangolin 1.0.2 does, as this module does it (read from its ``pangolin.py``):

* Only ALT[0] is scored (Pangolin reads ``variant.ALT[0]``); the other ALTs of a multi-allelic
  record are reported as skipped ALTs (a warning each, a TSV row each), never scored.
* Skips, in Pangolin's order: a REF or ALT without any A/C/G/T, or REF and ALT both longer than
  one base and of different lengths ("format"); REF longer than 2d ("deletion too large"); a
  window ``[POS - 5001 - d, POS + len(REF) + 4999 + d)`` that leaves the contig (Pangolin's
  pyfastx read fails or is cut short: here always a skip); REF not equal to the FASTA, case
  included (soft-masked bases mismatch an upper-case REF); no gene body holding POS.
* Per strand holding a gene, REF and ALT windows are scored by all 12 networks; ALT - REF per
  network (deletion: zeros after the anchor, float64 as numpy builds them; insertion: the anchor
  takes the maximum over itself and the inserted bases) is averaged over the 3 networks of a
  tissue; per position "gain" is the largest tissue change, "loss" the smallest. -M 1 masks in
  place, gene after gene on the same strand's arrays, as Pangolin does.
* Text: ``gene|g:gain|l:loss|Warnings:`` per gene, ``,`` between genes, positions relative to
  POS, values through Python's ``round(x, 2)`` of numpy scalars (so ``-0.0`` can appear).

Pangolin's own options (``-s/--score_cutoff``, ``--score_exons``) are declared here as
``--score-cutoff`` and ``--score-exons`` (registered by :mod:`.hooks`).
"""

from dataclasses import dataclass, field

import numpy as np

from spliceannot import Option, Variant
from spliceannot.plugin import NO_CONTIG, NO_GENE, Result, one_hot, reverse_complement_onehot

from .weights import LICENSE, SOURCE

INFO_ID = "Pangolin"
INFO_DESCRIPTION = ("Pangolin splice scores. Format: gene|pos:score_change|pos:score_change|"
                    f"warnings,... (Pangolin 1.0.2 scoring; weights {LICENSE}, {SOURCE})")
FIELDS = ("ALLELE", "GENE", "SCORES", "WARNINGS")

# Why a record passes unscored (summary keys), in Pangolin's order.
FORMAT = "variant format not supported by Pangolin"
TOO_LARGE = "deletion too large (REF longer than 2D)"
NO_SEQUENCE = "window runs past a contig end"
MISMATCH = "REF does not match FASTA (case-sensitive, as Pangolin)"
FIRST_ALT_ONLY = "Pangolin scores the first ALT only"
ACGT = set("ACGT")


# ---- Pangolin's own options ----------------------------------------------------------------------

OPTIONS = (
    Option("score_cutoff", type=float, min=0.0, scoring=True, scorers=("pangolin",),
           example=0.2, metavar="CUTOFF",
           help="--model pangolin (INFO/Pangolin), Pangolin's -s: every site with |change| >= "
                "CUTOFF instead of the largest gain and loss"),
    Option("score_exons", False, scoring=True, scorers=("pangolin",), example=True,
           help="--model pangolin (INFO/Pangolin), Pangolin's --score_exons True: both sites "
                "of every annotated exon within -D"),
)


def pangolin_options(options) -> tuple:
    """(score_cutoff or None, score_exons) of a run, as declared in :data:`OPTIONS`."""
    return options["score_cutoff"], bool(options["score_exons"])


# ---- planning ------------------------------------------------------------------------------------


@dataclass
class Strand:
    strand: str


@dataclass
class Task:
    """One strand's REF and ALT windows for one record, with what the engine reads."""

    gene: Strand  # the engine reads gene.strand
    genes: list  # the Genes on this strand, Pangolin's order
    x_ref: np.ndarray
    x_alt: np.ndarray
    ref_len: int
    alt_len: int
    extra: int  # bases added left of Pangolin's window so REF starts at the window's middle
    ref_key: tuple
    mask_key: tuple
    start: int  # oriented first coordinate (negated on '-')
    pos: int
    alt: str


@dataclass
class Plan:
    variant: Variant
    reason: str = None
    items: list = field(default_factory=list)
    alt_skips: list = field(default_factory=list)

    def tasks(self) -> list:
        return self.items

    def result(self, scores=()) -> Result:
        entries = [e for per_task in scores for e in per_task] if self.reason is None else []
        return Result(self.variant, self.reason, entries, list(self.alt_skips))


def _contig(reference, chrom):
    """Pangolin's renaming: as given, else with 'chr' added, else with its first 3 letters cut."""
    names = reference.lengths
    if chrom not in names and "chr" + chrom in names:
        return "chr" + chrom
    if chrom not in names and chrom[3:] in names:
        return chrom[3:]
    return chrom if chrom in names else None


def plan(variant: Variant, reference, genes, d: int, flank: int = 5000) -> Plan:
    """Pangolin's checks, in its order, and one task per strand holding a gene; ``flank`` is
    the model's context / 2 (Pangolin: 5,000)."""
    out = Plan(variant)
    alt = variant.alts[0] if variant.alts else "None"  # PyVCF's str(None) for '.'
    out.alt_skips = [(a, FIRST_ALT_ONLY) for a in variant.alts[1:]]
    ref = variant.ref
    if not ACGT & set(ref) or not ACGT & set(alt) or (len(ref) != 1 and len(alt) != 1
                                                      and len(ref) != len(alt)):
        out.reason = FORMAT
        return out
    if len(ref) > 2 * d:
        out.reason = TOO_LARGE
        return out
    contig = _contig(reference, variant.chrom)
    if contig is None:
        out.reason = NO_CONTIG
        return out
    pos, n = variant.pos, len(ref)
    lo, hi = pos - 1 - flank - d, pos + n + flank - 1 + d  # Pangolin's 0-based window
    if lo < 0 or hi > reference.length(contig):
        out.reason = NO_SEQUENCE
        return out
    extra = n - 1  # REF at the window's middle: what the engine's ALT geometry expects
    seq = reference.fetch(contig, lo - extra, hi)
    if lo - extra < 0:  # only the cropped outputs read these bases
        seq = "N" * (extra - lo) + reference.fetch(contig, 0, hi)
    at = flank + d + extra
    if seq[at:at + n] != ref:
        out.reason = MISMATCH
        return out
    found = genes.overlapping(contig, pos)
    if not found:
        out.reason = NO_GENE
        return out
    x = one_hot(seq)
    x_alt = np.concatenate([x[:at], one_hot(alt), x[at + n:]])
    for strand in ("+", "-"):
        on = [g for g in found if g.strand == strand]
        if not on:
            continue
        xr, xa = (x, x_alt) if strand == "+" else (reverse_complement_onehot(x),
                                                    reverse_complement_onehot(x_alt))
        start = lo - extra if strand == "+" else -hi
        out.items.append(Task(Strand(strand), on, xr, xa, n, len(alt), extra,
                              (contig, strand, lo - extra, len(x)), (contig, strand, None, None),
                              start, pos, alt))
    if not out.items:  # genes without a strand: Pangolin files them under neither
        out.reason = NO_GENE
    return out


# ---- finishing: Pangolin's numbers and text ------------------------------------------------------


@dataclass
class Entry:
    """One gene's Pangolin text: ``gene|item|...|Warnings:...``."""

    alt: str
    gene: str
    items: list  # "pos:score" (and, with --score-exons, the "<gene>_sites2" label)
    warnings: str = ""

    def info_text(self) -> str:
        return "|".join([self.gene, *self.items, "Warnings:" + self.warnings])

    format = info_text

    def fields(self) -> dict:
        """SCORES: {"pos", "score"} per item (score None for NA), {"label"} for a label."""
        scores = []
        for item in self.items:
            if ":" not in item:
                scores.append({"label": item})
                continue
            p, s = item.split(":")
            scores.append({"pos": int(p), "score": None if s == "NA" else float(s)})
        return {"ALLELE": self.alt, "GENE": self.gene, "SCORES": scores,
                "WARNINGS": self.warnings or None}


def scores_text(scores: list) -> str:
    """The SCORES field as text (TSV): Pangolin's ``pos:score|...`` items."""
    return "|".join(f"{s['pos']}:{'NA' if s['score'] is None else s['score']}" if "pos" in s
                    else s["label"] for s in scores) or "."


def tissue_changes(task: Task, y_ref: np.ndarray, y_alt: np.ndarray, d: int) -> tuple:
    """(loss, gain) per position, from the 12 networks' tracks ((n, 12), strand orientation),
    with numpy's operations and dtypes as Pangolin's ``compute_score`` runs them."""
    if task.gene.strand == "-":
        y_ref, y_alt = y_ref[::-1], y_alt[::-1]
    y_ref, y_alt = y_ref[task.extra:], y_alt[task.extra:]  # the bases added on the left
    l = 2 * d + 1
    tissues = []
    for t in range(4):
        score = []
        for m in range(3 * t, 3 * t + 3):
            ref, alt = y_ref[:, m], y_alt[:, m]
            ndiff = abs(len(ref) - len(alt))
            if len(ref) > len(alt):
                alt = np.concatenate([alt[0:l // 2 + 1], np.zeros(ndiff), alt[l // 2 + 1:]])
            elif len(ref) < len(alt):
                alt = np.concatenate([alt[0:l // 2], np.max(alt[l // 2:l // 2 + ndiff + 1],
                                                            keepdims=True), alt[l // 2 + ndiff + 1:]])
            score.append(alt - ref)
        tissues.append(np.mean(score, axis=0))
    tissues = np.array(tissues)
    cols = np.arange(tissues.shape[1])
    return tissues[np.argmin(tissues, axis=0), cols], tissues[np.argmax(tissues, axis=0), cols]


def gene_entries(task: Task, loss, gain, d: int, mask: bool, cutoff, exons: bool) -> list:
    """Pangolin's per-gene text; masking changes ``loss``/``gain`` in place, gene after gene."""
    out = []
    for gene in task.genes:
        warnings = ""
        bounds = [b for s, e in zip(gene.exon_starts, gene.exon_ends) for b in (s, e)]
        positions = np.array(bounds) - (task.pos - d)
        if mask and len(positions) != 0:
            inside = positions[(positions >= 0) & (positions < len(loss))]
            gain[inside] = np.minimum(gain[inside], 0)
            outside = ~np.isin(np.arange(len(loss)), inside)
            loss[outside] = np.maximum(loss[outside], 0)
        elif mask:
            warnings = "NoAnnotatedSitesToMaskForThisGene"
            loss[:] = np.maximum(loss[:], 0)
        if exons:
            first, second = [], []
            for i in range(len(positions) // 2):
                p1, p2 = positions[2 * i], positions[2 * i + 1]
                s1, s2 = _site(loss, gain, p1), _site(loss, gain, p2)
                if s1 == "NA" and s2 == "NA":
                    continue
                first.append(f"{p1 - d}:{s1}")
                second.append(f"{p2 - d}:{s2}")
            out.append(Entry(task.alt, gene.name + "_sites1",
                             first + [gene.name + "_sites2"] + second, warnings))
        elif cutoff is not None:
            lo, g = np.where(loss <= -cutoff)[0], np.where(gain >= cutoff)[0]
            items = [f"{p}:{round(s, 2)}" for p, s in zip(np.concatenate([g - d, lo - d]),
                                                         np.concatenate([gain[g], loss[lo]]))]
            out.append(Entry(task.alt, gene.name, items, warnings))
        else:
            lo, g = np.argmin(loss), np.argmax(gain)
            out.append(Entry(task.alt, gene.name, [f"{g - d}:{round(gain[g], 2)}",
                                                   f"{lo - d}:{round(loss[lo], 2)}"], warnings))
    return out


def _site(loss, gain, p):
    if p < 0 or p >= len(loss):
        return "NA"
    pair = [loss[p], gain[p]]
    return round(pair[np.argmax(np.abs(pair))], 2)


