"""Precomputed scores: hits are copied without running a model, misses go to the model."""

import pytest

from conftest import CHR16_FASTA, CHR16_TABLE, GOLDEN
from fakes import BaseCountModel, ExplodingModel, add_models
from spliceannot.errors import InputError, UsageError
from spliceannot.precomputed import ScoreFile, parse_entry
from spliceannot.scoring import Options, score_file

VARIANTS = GOLDEN / "chr16_variants.vcf"


@pytest.fixture(scope="module")
def models():
    undo = add_models(BaseCountModel(), ExplodingModel())
    yield
    undo()


def run(vcf, out, model, **kw):
    return score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA),
                                                  annotation=str(CHR16_TABLE), model=model, **kw))


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
    return tmp


def test_hits_run_no_model(full_export, tmp_path):
    out = tmp_path / "from_file.vcf"
    summary = run(VARIANTS, out, ExplodingModel.name,
                  precomputed=(str(full_export / "all.vep.vcf.gz"),))
    assert body(out) == body(full_export / "direct.vcf")
    assert summary.scored > 100
    assert "##spliceannot_scorer=precomputed+fast" in open(out).read()  # wraps the default scorer


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


def test_settings_in_the_file_header_must_match(full_export, tmp_path):
    with pytest.raises(UsageError, match="distance=50, this run uses 10"):
        run(VARIANTS, tmp_path / "o.vcf", ExplodingModel.name, distance=10,
            precomputed=(str(full_export / "all.vep.vcf.gz"),))


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
