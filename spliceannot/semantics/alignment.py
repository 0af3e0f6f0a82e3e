"""How SpliceAI-family semantics put an ALT track on the REF track's coordinates (indels and
delins): 1.3.1's rule, the general one for --trim-alleles and SpliceAI-lookup's two delins rules.
Each takes and returns (n, 3) tracks in genomic order."""

import numpy as np


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


def align_general(y_alt: np.ndarray, at: int, r: int, a: int) -> np.ndarray:
    """``align_alt`` for any REF/ALT lengths starting at track index ``at`` (--trim-alleles):
    the first min(r, a) - 1 bases pair up; a shorter ALT leaves zeros for the missing REF bases,
    a longer ALT puts the per-class maximum of its surplus on the last paired base."""
    if a < r:
        gap = np.zeros((r - a, y_alt.shape[1]), dtype=np.float64)  # float64 as align_alt
        return np.concatenate([y_alt[:at + a], gap, y_alt[at + a:]])
    if a > r:
        peak = y_alt[at + r - 1:at + a].max(axis=0, keepdims=True)
        return np.concatenate([y_alt[:at + r - 1], peak, y_alt[at + a:]])
    return y_alt


def align_first_base(y_alt: np.ndarray, at: int, r: int, a: int) -> np.ndarray:
    """SpliceAI-lookup's earlier delins rule (``delins_rule="first-base"``; r > 1 and a > 1 after
    trimming, MNVs included): the changed span becomes one position, the first REF base, holding
    the per-class maximum over all ``a`` ALT bases; the other ``r - 1`` REF bases get zeros
    (float64, as the deletion's)."""
    peak = y_alt[at:at + a].max(axis=0, keepdims=True)
    gap = np.zeros((r - 1, y_alt.shape[1]), dtype=np.float64)
    return np.concatenate([y_alt[:at], peak, gap, y_alt[at + a:]])


def align_strongest(y_ref: np.ndarray, y_alt: np.ndarray, at: int, r: int, a: int) -> np.ndarray:
    """SpliceAI-lookup's current delins rule (``delins_rule="strongest-ref"``; r > 1, a > 1 and
    r != a after trimming; an MNV pairs its bases). For each class on its own, the span's change
    is put where the REF track is strongest in the span (the first such base on ties, as numpy's
    argmax), holding the maximum over the ``a`` ALT bases; every other REF base of the span keeps
    its REF value on the ALT track too, so it shows no change. A replaced splice site so keeps its
    own coordinate, which masking needs (the lookup's reasoning)."""
    span = y_ref[at:at + r].astype(y_alt.dtype, copy=True)
    strongest = span.argmax(axis=0)  # (classes,)
    span[strongest, np.arange(span.shape[1])] = y_alt[at:at + a].max(axis=0)
    return np.concatenate([y_alt[:at], span, y_alt[at + a:]])
