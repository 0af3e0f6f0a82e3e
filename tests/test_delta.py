"""SpliceAI 1.3.1 delta-score semantics on hand-built variants and tracks (no files but the example)."""

import numpy as np
import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE
from spliceannot import genes as annotation, delta
from spliceannot.genes import Gene
from spliceannot.io.reference import Reference
from spliceannot.sequence import one_hot
from spliceannot.io.variant import Variant, alt_problem

S50 = delta.Settings(distance=50)


@pytest.fixture(scope="module")
def ref():
    return Reference(CHR16_FASTA)


@pytest.fixture(scope="module")
def genes():
    return annotation.read_table(CHR16_TABLE)


def base(ref, pos, n=1):
    return ref.fetch("chr16", pos - 1, pos - 1 + n).upper()


def test_alt_problems():
    assert alt_problem("A") is None and alt_problem("acgtn") is None
    assert alt_problem("*") == "ALT missing or '*'"
    assert alt_problem("<DEL>") == "symbolic ALT"
    assert alt_problem("G]17:198982]") == "breakend ALT"
    assert alt_problem("R") == "ALT holds a non-ACGTN base"  # 1.3.1 would alias R to C
    assert alt_problem("A-") == "ALT holds '.', '-', '*', '<' or '>'"


@pytest.mark.parametrize("pos,ref_allele,alts,reason", [
    (44000, None, ["A"], delta.NO_GENE),
    (2100, None, ["A"], delta.PAST_END),  # NM_018032 starts at 2008: window starts before 1
    (210100, None, ["A"], delta.PAST_END),  # contig is 210,155 long
    (12272, "G", ["A"], delta.REF_MISMATCH),  # FASTA has C
    (12272, "C", [], delta.NO_ALT),
    (12272, "C", ["<DEL>", "*"], delta.NO_SCORABLE_ALT),
])
def test_record_level_reasons(ref, genes, pos, ref_allele, alts, reason):
    v = Variant("chr16", pos, ref_allele or base(ref, pos), alts)
    assert delta.plan(v, ref, genes, 10000, S50).reason == reason


def test_contig_absent_and_ref_too_long(ref, genes, tmp_path):
    other = annotation.GeneTable([Gene("X1", "chr9", "+", 10, 100000, [10], [100000])])
    assert delta.plan(Variant("chr9", 50000, "A", ["C"]), ref, other, 10000, S50).reason == delta.NO_CONTIG
    long_ref = base(ref, 12200, 101)
    v = Variant("chr16", 12200, long_ref, [long_ref[0]])
    assert delta.plan(v, ref, genes, 10000, S50).reason == delta.REF_TOO_LONG
    assert delta.plan(v, ref, genes, 10000, delta.Settings(distance=500)).reason is None


def test_ref_check_is_case_insensitive(ref, genes):
    pos = 12272
    v = Variant("chr16", pos, base(ref, pos).lower(), ["T"])
    assert delta.plan(v, ref, genes, 10000, S50).reason is None


def test_items_alt_major_mnv_and_windows(ref, genes):
    pos = 12272  # inside NM_018032 and NM_201412 (both minus strand)
    r = base(ref, pos, 2)
    v = Variant("chr16", pos, r, ["T", "GG", "<DEL>"])
    p = delta.plan(v, ref, genes, 10000, S50)
    assert p.reason is None
    # ALT-major: T x both genes, then GG x both genes (an MNV: '.' entries); <DEL> skipped.
    names = [(i.alt, i.gene if isinstance(i, delta.DeltaScore) else i.gene.name) for i in p.items]
    assert names == [("T", "NM_018032"), ("T", "NM_201412"), ("GG", "NM_018032"), ("GG", "NM_201412")]
    assert p.items[2].format() == "GG|NM_018032|.|.|.|.|.|.|.|."
    assert p.alt_skips == [("<DEL>", "symbolic ALT")]
    t = p.tasks()[0]
    assert t.x_ref.shape == (10101, 4) and t.x_alt.shape == (10100, 4)  # deletion of one base
    # Minus strand: windows are reverse complements of the genomic window.
    genomic = one_hot(ref.fetch("chr16", pos - 5051, pos + 5050))
    np.testing.assert_array_equal(t.x_ref, genomic[::-1, ::-1])


def test_bases_outside_transcript_become_n(ref, genes):
    pos = 96160  # NM_006849 (+) spans 96155..100246
    v = Variant("chr16", pos, base(ref, pos), ["A" if base(ref, pos) != "A" else "C"])
    t = delta.plan(v, ref, genes, 10000, S50).tasks()[0]
    half = 5050
    first = half + (96155 - pos)  # index of tx_start in the window
    assert not t.x_ref[:first].any()
    assert t.x_ref[first:first + 100].sum() == 100
    assert t.x_ref[first - 1].sum() == 0


def test_align_alt_deletion_and_insertion():
    cov = 11
    y = np.arange(1, 9 * 3 + 1, dtype=np.float32).reshape(9, 3)  # ALT track of a 3-base deletion
    out = delta.align_alt(y, ref_len=3, alt_len=1, cov=cov)
    assert out.shape == (11, 3) and out.dtype == np.float64  # 1.3.1's float64 zeros
    np.testing.assert_array_equal(out[:6], y[:6])
    assert not out[6:8].any()
    np.testing.assert_array_equal(out[8:], y[6:])
    y = np.random.default_rng(0).random((14, 3), dtype=np.float32)  # 4-base insertion
    out = delta.align_alt(y, ref_len=1, alt_len=4, cov=cov)
    assert out.shape == (11, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[5], y[5:9].max(axis=0))
    np.testing.assert_array_equal(out[6:], y[9:])


def fake_task(strand="+", mask_offset=0, alt="A", ref_len=1):
    gene = Gene("G", "1", strand, 1, 10**6, [1], [10**6])
    return delta.Task(alt, gene, None, None, ref_len, len(alt), "chr1", 100, mask_offset, (), (),
                      0)


def tracks(cov=11):
    y_ref = np.full((cov, 3), 0.1, dtype=np.float32)
    y_alt = y_ref.copy()
    y_alt[2, 1] = 0.6  # acceptor gain of 0.5 at offset -3
    y_alt[8, 1] = 0.0  # acceptor loss of 0.1 at offset +3
    y_alt[4, 2] = 0.4  # donor gain of 0.3 at offset -1
    y_alt[4 + 5, 2] = 0.4  # the same donor gain at +4: the first index wins
    return y_ref, y_alt


def test_finish_scores_positions_and_ties():
    y_ref, y_alt = tracks()
    s = delta.finish(fake_task(), y_ref, y_alt, delta.Settings(distance=5))
    assert s.format() == "A|G|0.50|0.10|0.30|0.00|-3|3|-1|-5"


def test_finish_minus_strand_flips_back():
    y_ref, y_alt = tracks()
    s = delta.finish(fake_task("-"), y_ref[::-1], y_alt[::-1], delta.Settings(distance=5))
    assert s.dp[:3] == (-3, 3, -1)


def test_mask_zeroes_annotated_gains_and_unannotated_losses():
    y_ref, y_alt = tracks()
    masked = delta.Settings(distance=5, mask=True)
    s = delta.finish(fake_task(mask_offset=-3), y_ref, y_alt, masked)
    # Gain at the annotated boundary (-3) is masked; the loss at +3 is not at it: masked too.
    assert s.format() == "A|G|0.00|0.00|0.30|0.00|-3|3|-1|-5"
    s = delta.finish(fake_task(mask_offset=3), y_ref, y_alt, masked)
    assert s.format() == "A|G|0.50|0.10|0.30|0.00|-3|3|-1|-5"


def test_negative_maximum_prints_minus_zero_like_131():
    cov = 5
    y_ref = np.full((cov, 3), 0.5, dtype=np.float32)
    y_alt = np.full((cov, 3), 0.498, dtype=np.float32)  # every gain is negative
    s = delta.finish(fake_task(), y_ref, y_alt, delta.Settings(distance=2))
    assert s.format().split("|")[2] == "-0.00"
    s = delta.finish(fake_task(mask_offset=-2), y_ref, y_alt, delta.Settings(distance=2, mask=True))
    assert s.format().split("|")[2] == "-0.00"  # masked: x 0 keeps the sign, as numpy does


def test_field_list_is_the_header_format():
    assert delta.INFO_DESCRIPTION.endswith(
        "Format: ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL")
