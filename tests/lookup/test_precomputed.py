"""Precomputed scores: hits are copied without running a model, misses go to the model."""

import pytest

from support.paths import CHR16_FASTA, CHR16_GTF, CHR16_TABLE, GOLDEN
from support.fakes import BaseCountModel, ExplodingModel, add_models
from spliceannot.errors import InputError, UsageError
from spliceannot.lookup.precomputed import ScoreFile, parse_entry
from spliceannot.pipeline import Options, score_file

VARIANTS = GOLDEN / "chr16_variants.vcf"


@pytest.fixture(scope="module")
def models():
    undo = add_models(BaseCountModel(), ExplodingModel())
    yield
    undo()


def run(vcf, out, model, **kw):
    kw.setdefault("annotation", str(CHR16_TABLE))
    return score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), model=model, **kw))


def body(path):
    return [l.split("\t")[:8] for l in open(path) if not l.startswith("#")]


def split_input(tmp_path):
    lines = open(VARIANTS).readlines()
    head = [l for l in lines if l.startswith("#")]
    records = [l for l in lines if not l.startswith("#")]
    first = tmp_path / "first.vcf"
    first.write_text("".join(head + records[:len(records) // 2]))
    second = tmp_path / "second.vcf"
    second.write_text("".join(head + records[len(records) // 2:]))
    return first, second


@pytest.fixture(scope="module")
def full_export(models, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pre")
    run(VARIANTS, tmp / "all.vep.vcf.gz", BaseCountModel.name)
    run(VARIANTS, tmp / "direct.vcf", BaseCountModel.name)
    run(VARIANTS, tmp / "all.vcf.gz", BaseCountModel.name)
    import pysam

    pysam.tabix_index(str(tmp / "all.vcf.gz"), preset="vcf", force=True)
    return tmp


def test_hits_run_no_model(full_export, tmp_path):
    out = tmp_path / "from_file.vcf"
    BaseCountModel.calls = 0
    summary = run(VARIANTS, out, BaseCountModel.name,
                  precomputed=(str(full_export / "all.vcf.gz"),))
    assert BaseCountModel.calls == 0
    assert body(out) == body(full_export / "direct.vcf")
    assert summary.scored > 100 and summary.timings["precomputed misses"] == 0
    assert "##spliceannot_scorer=precomputed+fast" in open(out).read()  # before the default scorer


def test_minimal_export_hits_records_spelled_minimal(full_export, tmp_path):
    """A vep export (minimal spellings) answers the records spelled so; the rest miss and the
    model scores them: the output is the same."""
    out = tmp_path / "from_vep.vcf"
    summary = run(VARIANTS, out, BaseCountModel.name,
                  precomputed=(str(full_export / "all.vep.vcf.gz"),))
    assert body(out) == body(full_export / "direct.vcf")
    assert summary.timings["precomputed hits"] > 100


def test_misses_are_computed(full_export, tmp_path):
    first, second = split_input(tmp_path)
    run(first, tmp_path / "first.vep.vcf.gz", BaseCountModel.name)
    BaseCountModel.calls = 0
    run(second, tmp_path / "second.vcf", BaseCountModel.name)
    calls_for_second_half = BaseCountModel.calls
    BaseCountModel.calls = 0
    out = tmp_path / "mixed.vcf"
    run(VARIANTS, out, BaseCountModel.name, precomputed=(str(tmp_path / "first.vep.vcf.gz"),))
    assert body(out) == body(full_export / "direct.vcf")
    assert 0 < BaseCountModel.calls == calls_for_second_half


@pytest.mark.parametrize("change, message", [
    ({"distance": 10}, "distance=50, this run uses 10"),
    ({"model": ExplodingModel.name}, "made with model_hash=sha256:"),
    ({"annotation": str(CHR16_GTF)}, "made with annotation_hash="),
    ({"raw": True}, r"made with raw=\(unset\), this run uses True"),
    ({"per_transcript": True}, "per_transcript"),
    ({"trim_alleles": True}, "trim_alleles"),
    ({"mask": True, "mask_mode": "positionwise"}, "made with mask=0, this run uses 1"),
])
def test_settings_in_the_file_header_must_match(full_export, tmp_path, change, message):
    """A file made with another model, annotation or option is refused before any output."""
    kw = {"model": BaseCountModel.name, **change}
    out = tmp_path / "o.vcf"
    with pytest.raises(UsageError, match=message):
        run(VARIANTS, out, kw.pop("model"), precomputed=(str(full_export / "all.vcf.gz"),),
            **kw)
    assert not out.exists() and not (tmp_path / "o.vcf.partial").exists()


def test_raw_and_per_transcript_hits_write_what_the_model_path_writes(models, tmp_path):
    """A file made with --raw --per-transcript answers such runs with every field."""
    kw = {"raw": True, "per_transcript": True, "annotation": str(CHR16_GTF),
          "transcripts": "all"}
    made = tmp_path / "made.vcf.gz"
    run(VARIANTS, made, BaseCountModel.name, **kw)
    import pysam

    pysam.tabix_index(str(made), preset="vcf", force=True)
    direct = tmp_path / "direct.tsv"
    run(VARIANTS, direct, BaseCountModel.name, **kw)
    BaseCountModel.calls = 0
    hit = tmp_path / "hit.tsv"
    summary = run(VARIANTS, hit, BaseCountModel.name, precomputed=(str(made),), **kw)
    assert BaseCountModel.calls == 0 and summary.timings["precomputed hits"] > 100
    rows = [l for l in open(hit) if not l.startswith("##")]
    assert rows == [l for l in open(direct) if not l.startswith("##")]
    assert rows[0].split("\t")[14:22] == ["REF_AG", "ALT_AG", "REF_AL", "ALT_AL", "REF_DG",
                                           "ALT_DG", "REF_DL", "ALT_DL"]
    assert any(f not in (".", "0.0000") for r in rows[1:] for f in r.split("\t")[14:22])


def test_a_file_without_spliceannot_header_is_taken_only_for_131_options(models, tmp_path):
    plain = tmp_path / "illumina.vcf"
    plain.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr16>\n"
                     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                     "chr16\t97420\t.\tC\tA\t.\t.\tSpliceAI=A|NM_006849|0.11|0.00|0.00|0.00|1|2|3|4\n")
    import pysam

    pysam.tabix_index(str(plain), preset="vcf", force=True)
    gz = str(plain) + ".gz"
    run(VARIANTS, tmp_path / "ok.vcf", BaseCountModel.name, precomputed=(gz,))
    with pytest.raises(UsageError, match="no spliceannot header.*raw"):
        run(VARIANTS, tmp_path / "raw.vcf", BaseCountModel.name, precomputed=(gz,), raw=True)


def test_lookup_and_parse(full_export, tmp_path):
    f = ScoreFile(full_export / "all.vep.vcf.gz")
    first = next(l for l in body(full_export / "direct.vcf") if "SpliceAI=" in l[7])
    found = f.lookup(first[0].replace("chr", ""), int(first[1]), first[3])  # chr prefix ignored
    assert found and all(e.ds is not None for e in found.values())
    assert f.lookup(first[0], int(first[1]), "NNN") == {}
    assert parse_entry("A|G|.|.|.|.|.|.|.|.").ds is None
    plain = tmp_path / "plain.vcf"
    plain.write_text("##fileformat=VCFv4.2\n")
    with pytest.raises(InputError, match="tabix"):
        ScoreFile(plain)
