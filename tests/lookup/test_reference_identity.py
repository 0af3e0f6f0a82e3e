"""Scores are tied to the genome that made them: a FASTA one base away is another genome for the
score cache (recomputed), --precomputed (refused) and --resume (refused)."""

import os

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN
from support.fakes import BaseCountModel, add_models
from spliceannot.errors import UsageError
from spliceannot.pipeline import Options, score_file

VARIANTS = GOLDEN / "chr16_variants.vcf"


def changed_base(seq: str) -> int:
    """A 1-based position whose change moves a record's scores: the base after an SNV to A,
    made G (the test model's acceptor is A then G), inside NM_006849, away from the contig's
    first and middle 4 kb (what the earlier sampled digest read)."""
    for line in open(VARIANTS):
        f = line.split("\t")
        if line.startswith("#") or not 96200 <= int(f[1]) <= 100200:
            continue
        pos, ref, alt = int(f[1]), f[3], f[4]
        if alt == "A" and ref.upper() == seq[pos - 1].upper() != "A" and seq[pos] != "G":
            return pos + 1
    raise AssertionError("no record to move")


@pytest.fixture(scope="module")
def genomes(tmp_path_factory):
    """The bundled chr16 slice and a copy that differs at one base, with the same names and
    lengths."""
    add = add_models(BaseCountModel())
    tmp = tmp_path_factory.mktemp("genomes")
    lines = open(CHR16_FASTA).read().split("\n")
    seq = "".join(lines[1:])
    at = changed_base(seq)
    width = len(lines[1])
    row, col = 1 + (at - 1) // width, (at - 1) % width
    lines[row] = lines[row][:col] + "G" + lines[row][col + 1:]
    other = tmp / "other.fa"
    other.write_text("\n".join(lines))
    yield CHR16_FASTA, other
    add()


def run(vcf, out, reference, **kw):
    return score_file(str(vcf), str(out), Options(
        reference=str(reference), annotation=str(CHR16_TABLE), model=BaseCountModel.name, **kw))


def body(path):
    return [l.split("\t")[:8] for l in open(path) if not l.startswith("#")]


def header(path):
    return dict(l[2:].rstrip("\n").split("=", 1) for l in open(path) if l.startswith("##spliceannot_"))


def test_header_names_the_genome(genomes, tmp_path):
    same, other = genomes
    run(VARIANTS, tmp_path / "a.vcf", same)
    run(VARIANTS, tmp_path / "b.vcf", other)
    a, b = header(tmp_path / "a.vcf"), header(tmp_path / "b.vcf")
    assert a["spliceannot_reference_hash"].startswith("sha256:")
    assert a["spliceannot_reference_hash"] != b["spliceannot_reference_hash"]
    assert body(tmp_path / "a.vcf") != body(tmp_path / "b.vcf")  # the base matters


def test_score_cache_recomputes_on_another_genome(genomes, tmp_path):
    same, other = genomes
    cache = str(tmp_path / "cache")
    run(VARIANTS, tmp_path / "a.vcf", same, score_cache=cache)
    BaseCountModel.calls = 0
    summary = run(VARIANTS, tmp_path / "b.vcf", other, score_cache=cache)
    assert BaseCountModel.calls > 0 and summary.timings["cache hits"] == 0
    run(VARIANTS, tmp_path / "direct.vcf", other)
    assert body(tmp_path / "b.vcf") == body(tmp_path / "direct.vcf")
    BaseCountModel.calls = 0
    summary = run(VARIANTS, tmp_path / "c.vcf", same, score_cache=cache)  # still kept for A
    assert BaseCountModel.calls == 0 and summary.timings["cache misses"] == 0


def test_precomputed_file_of_another_genome_is_refused(genomes, tmp_path):
    import pysam

    same, other = genomes
    made = tmp_path / "made.vcf.gz"
    run(VARIANTS, made, same)
    pysam.tabix_index(str(made), preset="vcf", force=True)
    with pytest.raises(UsageError, match="made on another reference sequence") as caught:
        run(VARIANTS, tmp_path / "o.vcf", other, precomputed=(str(made),))
    assert "\n" not in str(caught.value) and str(made) in str(caught.value)
    assert not (tmp_path / "o.vcf").exists()
    run(VARIANTS, tmp_path / "ok.vcf", same, precomputed=(str(made),))  # its own genome: used


def test_resume_of_a_partial_made_on_another_genome_is_refused(genomes, tmp_path):
    same, other = genomes
    out = tmp_path / "o.vcf"
    run(VARIANTS, out, same)
    os.replace(out, str(out) + ".partial")
    with pytest.raises(UsageError, match="made on another reference sequence"):
        run(VARIANTS, out, other, resume=True)
    assert os.path.exists(str(out) + ".partial") and not out.exists()


def test_precomputed_file_without_a_genome_needs_trust(genomes, tmp_path):
    """A file an older spliceannot made (our header, no genome) is refused unless vouched for."""
    import gzip

    import pysam

    same, _ = genomes
    made = tmp_path / "made.vcf"
    run(VARIANTS, made, same)
    old = tmp_path / "old.vcf"
    old.write_text("".join(l for l in open(made) if not l.startswith("##spliceannot_reference")))
    pysam.tabix_compress(str(old), str(old) + ".gz")
    pysam.tabix_index(str(old) + ".gz", preset="vcf", force=True)
    with pytest.raises(UsageError, match="do not record the reference sequence"):
        run(VARIANTS, tmp_path / "o.vcf", same, precomputed=(str(old) + ".gz",))
    BaseCountModel.calls = 0
    run(VARIANTS, tmp_path / "t.vcf", same, precomputed=(str(old) + ".gz",),
        precomputed_trust=True)
    assert BaseCountModel.calls == 0 and gzip  # every record answered from the file
