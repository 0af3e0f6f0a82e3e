"""Scoring options beyond SpliceAI 1.3.1 (off by default): allele trimming, N-padded ends,
per-transcript entries and position-wise masking."""

import re

import numpy as np
import pytest

from support.paths import CHR16_FASTA, CHR16_GTF, CHR16_TABLE
from support.fakes import BaseCountModel, add_models
from spliceannot import genes as annotation, delta
from spliceannot.genes import Gene, GeneTable
from spliceannot.io.reference import Reference
from spliceannot.pipeline import Options, score_file
from spliceannot.io.variant import Variant

MODEL = BaseCountModel()


@pytest.fixture(scope="module")
def ref():
    return Reference(CHR16_FASTA)


@pytest.fixture(scope="module")
def genes():
    return annotation.read_table(CHR16_TABLE)


def score(variant, ref, genes, settings):
    """The record's delta Result, the model run window by window."""
    p = delta.plan(variant, ref, genes, MODEL.context, settings)
    return p.result([delta.finish(t, MODEL.predict(t.x_ref[None])[0],
                                  MODEL.predict(t.x_alt[None])[0], settings) for t in p.tasks()])


def seq(ref, pos, n):
    return ref.fetch("chr16", pos - 1, pos - 1 + n).upper()


def other(base):
    return "A" if base != "A" else "C"


def test_defaults_are_131(ref, genes):
    assert delta.Settings().extras() == {}
    pos = 97420
    r = seq(ref, pos, 2)
    p = score(Variant("chr16", pos, r, [other(r[0]) + "G"]), ref, genes, delta.Settings())
    assert p.entries[0].ds is None  # MNV: '.' as 1.3.1


@pytest.mark.parametrize("pos", [97420, 12270])  # plus- and minus-strand genes
def test_trimmed_spellings_score_alike(ref, genes, pos):
    on = delta.Settings(trim_alleles=True)
    b = seq(ref, pos, 3)
    snv = score(Variant("chr16", pos, b[0], [other(b[0])]), ref, genes, on).entries
    # The same SNV spelled with a shared suffix base, then with a shared prefix base.
    suffix = score(Variant("chr16", pos, b[:2], [other(b[0]) + b[1]]), ref, genes, on).entries
    assert [(e.ds, e.dp) for e in suffix] == [(e.ds, e.dp) for e in snv]
    prev = seq(ref, pos - 1, 1)
    prefix = score(Variant("chr16", pos - 1, prev + b[0], [prev + other(b[0])]), ref, genes,
                   on).entries
    assert [e.ds for e in prefix] == [e.ds for e in snv]
    assert [tuple(d - 1 for d in e.dp) for e in prefix] == [e.dp for e in snv]  # POS moved by 1
    # An insertion spelled with a trailing shared base; a real delins gets scores.
    ins = score(Variant("chr16", pos, b[0], [b[0] + "AGGTACCT"]), ref, genes, on).entries
    ins2 = score(Variant("chr16", pos, b[:2], [b[0] + "AGGTACCT" + b[1]]), ref, genes, on).entries
    assert [(e.ds, e.dp) for e in ins2] == [(e.ds, e.dp) for e in ins]
    assert max(max(e.ds) for e in ins) > 0.3  # the stand-in model sees the new AG and GT
    delins = score(Variant("chr16", pos, b, [other(b[0]) + "G"]), ref, genes, on).entries
    assert all(e.ds is not None for e in delins)


def test_trim_keeps_an_anchor():
    assert delta.trim_alleles("CT", "AT") == (0, 1, "A")
    assert delta.trim_alleles("CA", "CTA") == (0, 1, "CT")
    assert delta.trim_alleles("TCTA", "TTG") == (1, 3, "TG")
    assert delta.trim_alleles("ACGT", "ACGT") == (0, 1, "A")  # suffix goes first


def test_pad_ends(ref):
    # A gene near the fragment start: 1.3.1 skips, --pad-ends scores with N beyond the end.
    table = GeneTable([Gene("EDGE", "chr16", "+", 1, 3000, [1, 2000], [1000, 3000])])
    v = Variant("chr16", 1000, seq(ref, 1000, 1), ["T" if seq(ref, 1000, 1) != "T" else "G"])
    assert delta.plan(v, ref, table, MODEL.context, delta.Settings()).reason == delta.PAST_END
    padded = score(v, ref, table, delta.Settings(pad_ends=True))
    assert padded.reason is None and padded.entries[0].ds is not None
    plan = delta.plan(v, ref, table, MODEL.context, delta.Settings(pad_ends=True))
    assert plan.tasks()[0].x_ref.shape == (MODEL.context + 101, 4)


def test_positionwise_mask_looks_past_masked_positions():
    gene = Gene("G", "chr1", "+", 1, 1000, [1, 103, 500], [50, 200, 1000])
    sites = delta.splice_sites(gene, 100)  # acceptor at +3 (103), donor at +100 (200)
    assert list(sites[0]) == [3, 400] and list(sites[1]) == [-50, 100]
    cov = 11
    y_ref = np.zeros((cov, 3), np.float32)
    y_alt = np.zeros((cov, 3), np.float32)
    y_alt[5 + 3, 1] = 0.9  # gain at the annotated acceptor: masked
    y_alt[5 - 2, 1] = 0.4  # gain elsewhere: kept
    y_ref[5 + 1, 1] = 0.6  # loss at an unannotated position: masked
    task = delta.Task("A", gene, None, None, 1, 1, "chr1", 100, 3, (), (), 0, sites=sites)
    s = delta.finish(task, y_ref, y_alt, delta.Settings(distance=5, mask=True,
                                                        mask_mode="positionwise"))
    assert s.ds[:2] == (pytest.approx(0.4), 0.0) and s.dp[0] == -2
    nearest = delta.Task("A", gene, None, None, 1, 1, "chr1", 100, 3, (), (), 0)
    s = delta.finish(nearest, y_ref, y_alt, delta.Settings(distance=5, mask=True))
    assert s.ds[0] == 0.0  # 1.3.1 masks the maximum itself and reports nothing


def test_options_reach_the_header_and_names(tmp_path):
    gtf = tmp_path / "symbols.gtf"
    with open(CHR16_GTF) as src, open(gtf, "w") as dst:
        for line in src:
            tid = re.search(r'transcript_id "([^"]+)"', line).group(1)
            dst.write(line.rstrip() + f' gene_name "SYM{tid[3:6]}";\n')
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t81400\tx\t%s\tT\t.\t.\t.\n" % Reference(CHR16_FASTA).fetch("chr16", 81399, 81400))
    out = tmp_path / "out.vcf"
    undo = add_models(BaseCountModel())
    try:
        score_file(str(vcf), str(out), Options(
            reference=str(CHR16_FASTA), annotation=str(gtf), model=BaseCountModel.name,
            per_transcript=True, pad_ends=True, trim_alleles=True, mask=True,
            mask_mode="positionwise"))
    finally:
        undo()
    text = open(out).read()
    for line in ("per_transcript=True", "pad_ends=True", "trim_alleles=True",
                 "mask_mode=positionwise", "transcripts=all"):
        assert f"##spliceannot_{line}" in text
    info = [l.split("\t")[7] for l in text.splitlines() if not l.startswith("#")][0]
    names = [e.split("|")[1] for e in info[len("SpliceAI="):].split(",")]
    # 81400 lies in NR_104317 and in the four transcripts of the 81338-88980 locus.
    assert len(names) == 5 and all(re.fullmatch(r"SYM\w+/N[MR]_\d+", n) for n in names)


def test_both_strands_without_annotation(tmp_path):
    fasta = Reference(CHR16_FASTA)
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t44000\tintergenic\t%s\tAGGTACCT\t.\t.\t.\n" % fasta.fetch("chr16", 43999, 44000))
    out = tmp_path / "out.jsonl"
    undo = add_models(BaseCountModel())
    try:
        score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation="both-strands",
                                               model=BaseCountModel.name, raw=True))
        with pytest.raises(Exception, match="both-strands has none"):
            score_file(str(vcf), str(tmp_path / "m.vcf"), Options(
                reference=str(CHR16_FASTA), annotation="both-strands", mask=True,
                model=BaseCountModel.name))
    finally:
        undo()
    import json

    run, row = [json.loads(l) for l in open(out)]
    assert run["spliceannot"]["raw"] is True
    entries = row["scores"]
    assert [e["symbol"] for e in entries] == ["+", "-"]  # 44000 is outside every chr16 gene
    assert all(e["DS_AG"] > 0.3 for e in entries)  # the palindromic insert adds an AG each way
    e = entries[0]
    assert e["ALT_AG"] - e["REF_AG"] == pytest.approx(e["DS_AG"], abs=0.006)


def test_raw_fields_in_vcf(ref, genes):
    s = delta.Settings(raw=True)
    p = score(Variant("chr16", 97420, seq(ref, 97420, 1), ["AGGTACCT"]), ref, genes, s)
    fields = p.entries[0].format().split("|")
    assert len(fields) == len(delta.FIELDS) + len(delta.RAW_FIELDS)
    assert delta.info_description(True).endswith("DP_DL|REF_AG|ALT_AG|REF_AL|ALT_AL|REF_DG|"
                                                 "ALT_DG|REF_DL|ALT_DL")
    mnv = score(Variant("chr16", 97420, seq(ref, 97420, 2), ["GA"]), ref, genes, s).entries[0]
    assert mnv.format().count("|") == len(delta.FIELDS) + len(delta.RAW_FIELDS) - 1
