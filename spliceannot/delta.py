"""SpliceAI 1.3.1 delta-score semantics as plain functions: windows, masking, indel alignment, DS/DP.

``plan`` turns one variant into per-(ALT, gene) tasks holding the REF and ALT one-hot windows (or
an immediate outcome); a scorer runs the model on them; ``finish`` turns the two prediction tracks
into a :class:`DeltaScore`. Behaviour follows the published 1.3.1 tool (Jaganathan et al. 2019;
github.com/Illumina/SpliceAI README), re-derived, with the deliberate differences noted inline.
"""

from dataclasses import dataclass, field

import numpy as np

from .sequence import one_hot, reverse_complement_onehot
from .variant import Variant, alt_problem

# The one field list: the VCF header description and the entry formatter both use it.
FIELDS = ["ALLELE", "SYMBOL", "DS_AG", "DS_AL", "DS_DG", "DS_DL", "DP_AG", "DP_AL", "DP_DG", "DP_DL"]
INFO_ID = "SpliceAI"
INFO_DESCRIPTION = (
    "SpliceAIv1.3.1 variant annotation. These include delta scores (DS) and delta positions (DP) "
    "for acceptor gain (AG), acceptor loss (AL), donor gain (DG), and donor loss (DL). "
    "Format: " + "|".join(FIELDS))

# Skip reasons (summary keys). Record-level ones leave the record without INFO.
NO_ALT = "no ALT allele"
NO_GENE = "no overlapping gene"
NO_CONTIG = "contig absent from FASTA"
PAST_END = "window runs past contig end"
REF_MISMATCH = "REF does not match FASTA"
REF_TOO_LONG = "REF longer than 2D"
NO_SCORABLE_ALT = "no scorable ALT"


@dataclass
class Settings:
    distance: int = 50  # -D: report the maximum delta within +-distance of the variant
    mask: bool = False  # -M 1: mask annotated-site gains and unannotated-site losses

    @property
    def cov(self) -> int:
        return 2 * self.distance + 1


@dataclass
class DeltaScore:
    alt: str
    gene: str
    ds: tuple = None  # (AG, AL, DG, DL) floats, already masked; None for an unscored MNV
    dp: tuple = None  # (AG, AL, DG, DL) offsets from POS in genomic direction

    def format(self) -> str:
        if self.ds is None:
            return f"{self.alt}|{self.gene}|.|.|.|.|.|.|.|."
        scores = "|".join(f"{v:.2f}" for v in self.ds)
        return f"{self.alt}|{self.gene}|{scores}|" + "|".join(str(p) for p in self.dp)


@dataclass
class Task:
    """One ALT x gene to run through a model: windows in the gene's strand orientation."""

    alt: str
    gene: object  # annotation.Gene
    x_ref: np.ndarray  # (wid, 4)
    x_alt: np.ndarray  # (wid + len(alt) - len(ref), 4)
    ref_len: int
    mask_offset: int  # nearest exon boundary, relative to POS
    ref_key: tuple  # tasks with equal keys have identical x_ref
    result: DeltaScore = None


@dataclass
class Plan:
    """What to do with one record: ``reason`` set means pass it through unscored."""

    variant: Variant
    reason: str = None
    items: list = field(default_factory=list)  # DeltaScore (immediate) or Task, ALT-major
    alt_skips: list = field(default_factory=list)  # (alt, reason)

    def tasks(self) -> list:
        return [i for i in self.items if isinstance(i, Task)]

    def entries(self) -> list:
        return [i.result if isinstance(i, Task) else i for i in self.items]


def plan(variant: Variant, reference, genes, context: int, settings: Settings) -> Plan:
    """Checks and windows for one variant, in 1.3.1's order; no model runs here."""
    result = Plan(variant)
    if not variant.alts:
        result.reason = NO_ALT
        return result
    overlapping = genes.overlapping(variant.chrom, variant.pos)
    if not overlapping:
        result.reason = NO_GENE
        return result
    contig = reference.resolve(variant.chrom)
    if contig is None:
        result.reason = NO_CONTIG
        return result
    cov = settings.cov
    wid = context + cov
    half = wid // 2
    start = variant.pos - half  # 1-based first base of the window
    if start < 1 or variant.pos + half > reference.length(contig):
        result.reason = PAST_END
        return result
    seq = reference.fetch(contig, start - 1, variant.pos + half)
    ref_len = len(variant.ref)
    # Deliberately case-insensitive on both sides (1.3.1 upper-cases only the FASTA).
    if seq[half:half + ref_len].upper() != variant.ref.upper():
        result.reason = REF_MISMATCH
        return result
    if ref_len > 2 * settings.distance:
        result.reason = REF_TOO_LONG
        return result

    window = one_hot(seq)
    masked = {}
    for alt in variant.alts:
        problem = alt_problem(alt)
        if problem:
            result.alt_skips.append((alt, problem))
            continue
        for gene in overlapping:
            if ref_len > 1 and len(alt) > 1:  # MNV/delins: 1.3.1 reports "." for every field
                result.items.append(DeltaScore(alt, gene.name))
                continue
            key = (id(gene),)
            if key not in masked:
                # Every base outside the transcript [tx_start, tx_end] becomes N.
                lo = max(half + (gene.tx_start - variant.pos), 0)
                hi = max(half - (gene.tx_end - variant.pos), 0)
                x = window.copy()
                x[:lo] = 0
                x[wid - hi:] = 0
                masked[key] = x
            x_ref = masked[key]
            x_alt = np.concatenate([x_ref[:half], one_hot(alt), x_ref[half + ref_len:]])
            if gene.strand == "-":
                x_ref, x_alt = reverse_complement_onehot(x_ref), reverse_complement_onehot(x_alt)
            result.items.append(Task(alt, gene, x_ref, x_alt, ref_len,
                                     gene.nearest_boundary(variant.pos),
                                     (variant.chrom, variant.pos, gene.strand, gene.tx_start,
                                      gene.tx_end, wid)))
    if not result.items:
        result.reason = NO_SCORABLE_ALT
    return result


def align_alt(y_alt: np.ndarray, ref_len: int, alt_len: int, cov: int) -> np.ndarray:
    """Put the ALT track (genomic order) on the REF track's coordinates.

    Deletion: zeros at the deleted positions after the anchor. Insertion: the anchor takes the
    per-class maximum over itself and the inserted bases. 1.3.1 builds the deletion's zeros in
    float64, which turns the later subtraction into float64 too; kept so DS/DP match bit for bit.
    """
    mid = cov // 2
    if ref_len > 1 and alt_len == 1:
        gap = np.zeros((ref_len - alt_len, 3), dtype=np.float64)
        return np.concatenate([y_alt[:mid + alt_len], gap, y_alt[mid + alt_len:]])
    if ref_len == 1 and alt_len > 1:
        peak = y_alt[mid:mid + alt_len].max(axis=0, keepdims=True)
        return np.concatenate([y_alt[:mid], peak, y_alt[mid + alt_len:]])
    return y_alt


def finish(task: Task, y_ref: np.ndarray, y_alt: np.ndarray, settings: Settings) -> DeltaScore:
    """DS/DP from the model's REF and ALT tracks (strand orientation, (n, 3) each)."""
    if task.gene.strand == "-":
        y_ref, y_alt = y_ref[::-1], y_alt[::-1]
    cov = settings.cov
    y_alt = align_alt(y_alt, task.ref_len, len(task.alt), cov)
    if y_alt.dtype != y_ref.dtype:
        y_ref = y_ref.astype(y_alt.dtype)
    gain_a = y_alt[:, 1] - y_ref[:, 1]
    gain_d = y_alt[:, 2] - y_ref[:, 2]
    loss_a = y_ref[:, 1] - y_alt[:, 1]
    loss_d = y_ref[:, 2] - y_alt[:, 2]
    ds, dp = [], []
    for track, is_gain in ((gain_a, True), (loss_a, False), (gain_d, True), (loss_d, False)):
        idx = int(track.argmax())  # first maximum on ties, as numpy's argmax
        offset = idx - cov // 2
        value = float(track[idx])
        if settings.mask:
            # Gains at the annotated boundary and losses anywhere else are zeroed (x 0 keeps -0.0).
            at_site = offset == task.mask_offset
            if at_site == is_gain:
                value *= 0
        ds.append(value)
        dp.append(offset)
    return DeltaScore(task.alt, task.gene.name, tuple(ds), tuple(dp))
