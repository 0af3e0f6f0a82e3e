"""Precomputed scores: hits are copied without running a model, misses go to the model."""

import os

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
    run(second, tmp_path / "second.scored.vcf", BaseCountModel.name)
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


def _headerless(path, text="SpliceAI=A|NM_006849|0.11|0.00|0.00|0.00|1|2|3|4"):
    path.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr16>\n"
                    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                    f"chr16\t97420\t.\tC\tA\t.\t.\t{text}\n")
    import pysam

    pysam.tabix_index(str(path), preset="vcf", force=True)
    return str(path) + ".gz"


def test_a_file_without_spliceannot_header_is_taken_only_for_131_options(models, tmp_path):
    gz = _headerless(tmp_path / "illumina.vcf")
    # another model than spliceai: refused, one line naming what differs and the way out
    with pytest.raises(UsageError, match=r"no spliceannot header; taken as made with -D 50 -M 0 "
                                         r"with the spliceai model, not this run's --model "
                                         r"base-count-test; add --precomputed-trust"):
        run(VARIANTS, tmp_path / "no.vcf", BaseCountModel.name, precomputed=(gz,))
    assert not (tmp_path / "no.vcf").exists()
    # the user vouches for it: the file's entry is used as it stands
    one = tmp_path / "one.vcf"
    one.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t97420\tv\tC\tA\t.\t.\t.\n")
    out = tmp_path / "ok.vcf"
    BaseCountModel.calls = 0
    summary = run(one, out, BaseCountModel.name, precomputed=(gz,), precomputed_trust=True)
    assert body(out)[0][7].rstrip("\n") == "SpliceAI=A|NM_006849|0.11|0.00|0.00|0.00|1|2|3|4"
    assert summary.timings["precomputed hits"] == 1 and BaseCountModel.calls == 0
    # trust never covers options whose entries a 1.3.1 file cannot hold
    with pytest.raises(UsageError, match="no spliceannot header.*raw"):
        run(VARIANTS, tmp_path / "raw.vcf", BaseCountModel.name, precomputed=(gz,), raw=True,
            precomputed_trust=True)


class _File:
    meta = {}

    def __init__(self, path):
        self.path = path


@pytest.mark.parametrize("name, info, ok", [
    ("mine.vcf.gz", {"model": "spliceai", "distance": 50, "mask": 0}, True),
    ("mine.vcf.gz", {"model": "spliceai", "distance": 500, "mask": 0}, "-D 500"),
    ("mine.vcf.gz", {"model": "spliceai", "distance": 50, "mask": 1}, "-M 1"),
    ("mine.vcf.gz", {"model": "openspliceai", "distance": 50, "mask": 0}, "--model openspliceai"),
    ("spliceai_scores.masked.snv.hg38.vcf.gz", {"model": "spliceai", "distance": 50, "mask": 1},
     True),
    ("spliceai_scores.masked.snv.hg38.vcf.gz", {"model": "spliceai", "distance": 50, "mask": 0},
     "-D 50 -M 1 with the spliceai model .from its name., not this run's -M 0"),
    ("spliceai_scores.raw.indel.hg38.vcf.gz", {"model": "spliceai", "distance": 50, "mask": 1},
     "-M 1"),
    ("spliceai_scores.raw.indel.hg38.vcf.gz", {"model": "spliceai", "distance": 50, "mask": 0},
     True),
    ("mine.vcf.gz", {"model": "spliceai", "distance": 50, "mask": 0, "transcripts": "all"},
     "transcripts"),
])
def test_headerless_file_rules(name, info, ok):
    """Illumina's files: -D 50, unmasked (.raw.) or masked (.masked.), the spliceai model; their
    header says neither, so the name decides -M and anything else needs --precomputed-trust."""
    from spliceannot.default_plugins.precomputed_lookup import check

    if ok is True:
        check(_File(name), info)
    else:
        with pytest.raises(UsageError, match=ok):
            check(_File(name), info)
        if "transcripts" not in info:
            check(_File(name), info, trust=True)


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


@pytest.mark.parametrize("damage", ["garbage", "truncated", "stale", "foreign"])
def test_damaged_or_stale_index_is_one_line(full_export, tmp_path, damage):
    """An index that cannot be read, or is older than its file (htslib only warns and may then
    read wrong offsets), stops the run up front with one line, exit 5, no output."""
    import os
    import shutil
    import subprocess
    import sys

    from support.paths import REPO

    gz = tmp_path / "all.vcf.gz"
    shutil.copyfile(full_export / "all.vcf.gz", gz)
    tbi = tmp_path / "all.vcf.gz.tbi"
    good = (full_export / "all.vcf.gz.tbi").read_bytes()
    if damage == "garbage":
        tbi.write_bytes(b"\x00not a tabix index" * 10)
    elif damage == "truncated":
        tbi.write_bytes(good[:30])
    elif damage == "foreign":  # newer than the file, but another file's index
        tbi.write_bytes((full_export / "all.vep.vcf.gz.tbi").read_bytes())
    else:
        tbi.write_bytes(good)
        os.utime(tbi, (1_500_000_000, 1_500_000_000))
    r = subprocess.run([sys.executable, "-m", "spliceannot", "score", str(VARIANTS), "-o",
                        str(tmp_path / "o.vcf"), "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE),
                        "--precomputed", str(gz), "--model", "tiny-dir", "--plugins-dir",
                        str(REPO / "tests" / "data" / "plugins"), "-q"],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 5 and "Traceback" not in r.stderr
    why = {"stale": "is older than the file", "foreign": "does not belong to it"}.get(
        damage, "cannot read it or its index")
    assert r.stderr.splitlines() == [
        l for l in r.stderr.splitlines() if l.startswith("spliceannot: error:")] != []
    assert why in r.stderr and f"'tabix -f -p vcf {gz}'" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.vcf.gz", "all.vcf.gz.tbi"]


def test_foreign_index_found_at_a_lookup_is_one_line(tmp_path):
    """An index that passes the first-line probe but points elsewhere further on: the lookup
    that meets it stops with the same line, never an htslib traceback or a silent miss."""
    import random

    import pysam

    def make(name, n, seed):
        rng = random.Random(seed)
        lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1>",
                 "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
        lines += [f"chr1\t{p}\t.\tA\tC\t.\t.\tSpliceAI=C|G|0.1|0.0|0.0|0.0|1|2|3|4"
                  for p in [1] + sorted(rng.sample(range(2, 10 ** 6), n))]
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        gz = str(tmp_path / name) + ".gz"
        pysam.tabix_compress(str(tmp_path / name), gz, force=True)
        pysam.tabix_index(gz, preset="vcf", force=True)
        return gz

    big, small = make("a.vcf", 20000, 1), make("b.vcf", 5000, 2)
    f = ScoreFile(big)
    assert f.lookup("chr1", 1, "A")  # the first line of both files is alike
    # Every line's position, asked in order, and a few gaps wide enough to seek across.
    asked = [int(l.split("\t")[1]) for l in open(tmp_path / "a.vcf") if not l.startswith("#")]
    asked = asked[:3000] + asked[12000:12100] + asked[19000:]
    right = [f.lookup("chr1", pos, "A") for pos in asked]
    f.close()
    os.replace(small + ".tbi", big + ".tbi")
    try:
        f = ScoreFile(big)
    except InputError as exc:  # the probe may already see it
        assert "does not belong to it" in str(exc)
        return
    # Read forward (a streaming join), the file's own lines decide what is found: a lookup
    # that meets a misplaced line stops with the one line; otherwise no answer is wrong (a
    # seek that lands late only misses, and a miss is computed by the model, exactly).
    try:
        got = [f.lookup("chr1", pos, "A") for pos in asked]
    except InputError as exc:
        assert "does not belong to it" in str(exc)
        return
    assert all(g.items() <= r.items() for g, r in zip(got, right))
    assert sum(map(bool, got)) >= len(asked) // 2
