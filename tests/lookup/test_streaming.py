"""The streaming join: score files read forward with the input, one seek per gap, not per record;
and a run answered from stored scores loads no model."""

import json
import logging
import random
import subprocess
import sys
import textwrap

import pysam
import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN, REPO, spliceai_installed
from support.fakes import BaseCountModel, add_models
from spliceannot.lookup import precomputed
from spliceannot.lookup.precomputed import ScoreFile, ScoreFiles
from spliceannot.pipeline import Options, score_file

VARIANTS = GOLDEN / "chr16_variants.vcf"
BASES = "ACGT"


def dense_file(tmp_path, start=1000, end=4000, name="pre.vcf", gene="G1", far=None):
    """Three SNV lines per base of [start, end] (and of ``far``, a second stretch), each with
    an entry naming its own position, so a wrong answer shows."""
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=100000000>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    spans = [(start, end)] + ([far] if far else [])
    for lo, hi in spans:
        for pos in range(lo, hi + 1):
            ref = BASES[pos % 4]
            for alt in BASES:
                if alt != ref:
                    lines.append(f"chr1\t{pos}\t.\t{ref}\t{alt}\t.\t.\tSpliceAI={alt}|{gene}|"
                                 f"0.{pos % 100:02d}|0.00|0.01|0.00|{pos % 50}|0|1|2")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return str(path) + ".gz"


def fetched(path, chrom, pos, ref):
    """What one tabix fetch per query gives (the old way): the reference answer."""
    found = {}
    with pysam.TabixFile(path) as tbx:
        for line in tbx.fetch(chrom, pos - 1, pos):
            f = line.split("\t")
            if int(f[1]) == pos and f[3] == ref:
                e = precomputed.parse_entry(f[7][len("SpliceAI="):])
                found[(e.alt.upper(), e.gene)] = e
    return found


def test_sorted_queries_read_forward_with_one_seek(tmp_path):
    path = dense_file(tmp_path)
    f = ScoreFile(path)
    rng = random.Random(5)
    positions = sorted(rng.sample(range(1000, 4001), 400)) + [5000]  # the last: no line
    queries = [("chr1", p, BASES[p % 4]) for p in positions]
    answers = []
    for i in range(0, len(queries), 64):  # chunk by chunk, as the pipeline asks
        answers += f.lookup_many(queries[i:i + 64])
    assert answers == [fetched(path, *q) for q in queries]
    assert len(answers[0]) == 3 and answers[-1] == {}
    assert answers[1][(BASES[(positions[1] + 1) % 4], "G1")].dp[0] == positions[1] % 50
    assert f._stream.seeks == 1  # every chunk continued where the last one stopped
    f.close()


def test_a_wide_gap_seeks_instead_of_reading_through(tmp_path):
    path = dense_file(tmp_path, far=(60000, 60010))
    f = ScoreFile(path)
    queries = [("chr1", 1000, "A"), ("chr1", 1001, "C"), ("chr1", 60005, BASES[60005 % 4])]
    got = f.lookup_many(queries)
    assert got == [fetched(path, *q) for q in queries] and len(got[2]) == 3
    # 2 seeks, and the ~177k lines between the stretches were never read
    assert f._stream.seeks == 2 and f._stream.lines < 100
    f.close()


def test_ref_and_alts_filter_entries(tmp_path):
    f = ScoreFile(dense_file(tmp_path))
    ref = BASES[1500 % 4]
    alt = next(b for b in BASES if b != ref)
    assert set(f.lookup_many([("chr1", 1500, ref, {alt})])[0]) == {(alt, "G1")}
    assert f.lookup_many([("chr1", 1500, "T" if ref != "T" else "A")]) == [{}]  # REF differs
    assert f.lookup("1", 1500, ref.lower()) == fetched(f.path, "chr1", 1500, ref)  # spelling
    f.close()


def test_unsorted_queries_are_answered_and_said_once(tmp_path, caplog):
    path = dense_file(tmp_path)
    f = ScoreFile(path)
    rng = random.Random(7)
    positions = rng.sample(range(1000, 4001), 300)
    queries = [("chr1", p, BASES[p % 4]) for p in positions]
    with caplog.at_level(logging.WARNING, logger="spliceannot"):
        answers = []
        for i in range(0, len(queries), 20):
            answers += f.lookup_many(queries[i:i + 20])
    assert answers == [fetched(path, *q) for q in queries]
    warned = [r.getMessage() for r in caplog.records if "not sorted" in r.getMessage()]
    assert len(warned) == 1 and path in warned[0]
    f.close()


def test_several_files_earlier_wins_and_each_streams(tmp_path):
    snv = dense_file(tmp_path, name="a.snv.vcf", gene="G1")
    other = dense_file(tmp_path, start=2000, end=5000, name="b.indel.vcf", gene="G1")
    files = ScoreFiles([snv, other])
    queries = [("chr1", p, BASES[p % 4]) for p in range(1500, 4500, 7)]
    got = files.lookup_many(queries)
    for q, answer in zip(queries, got):
        want = dict(fetched(other, *q))
        want.update(fetched(snv, *q))
        assert answer == want
    assert files.counts()["precomputed seeks"] == 2
    files.close()


@pytest.fixture(scope="module")
def models():
    undo = add_models(BaseCountModel())
    yield
    undo()


def test_an_unsorted_input_gets_the_same_hits(models, tmp_path):
    opts = dict(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                model=BaseCountModel.name)
    made = tmp_path / "made.vcf.gz"
    score_file(str(VARIANTS), str(made), Options(**opts))
    pysam.tabix_index(str(made), preset="vcf", force=True)
    lines = open(VARIANTS).read().splitlines(keepends=True)
    head = [l for l in lines if l.startswith("#")]
    body = [l for l in lines if not l.startswith("#")]
    random.Random(3).shuffle(body)
    shuffled = tmp_path / "shuffled.vcf"
    shuffled.write_text("".join(head + body))
    direct, hit = tmp_path / "direct.vcf", tmp_path / "hit.vcf"
    score_file(str(shuffled), str(direct), Options(**opts, chunk_size=8))
    BaseCountModel.calls = 0
    summary = score_file(str(shuffled), str(hit),
                         Options(**opts, chunk_size=8, precomputed=(str(made),)))
    assert BaseCountModel.calls == 0 and summary.timings["precomputed hits"] > 100

    def records(p):
        return [l for l in open(p) if not l.startswith("#")]

    assert records(hit) == records(direct)


@pytest.mark.skipif(not spliceai_installed(), reason="needs the spliceai 1.3.1 wheel's weights")
def test_an_all_hits_run_opens_no_model_file_and_imports_no_torch(models, tmp_path):
    """Scores from a file for every record: the weights are never opened (the model digest is
    kept by the files' stat), torch is never imported, and the output is the file's scores."""
    made = tmp_path / "made.vcf"
    score_file(str(VARIANTS), str(made), Options(reference=str(CHR16_FASTA),
                                                 annotation=str(CHR16_TABLE),
                                                 model=BaseCountModel.name))
    # Illumina's layout: no spliceannot header lines; named as its unmasked files are.
    pre = tmp_path / "spliceai_scores.raw.snv.test.vcf"
    pre.write_text("".join(l for l in open(made) if not l.startswith("##spliceannot_")))
    pysam.tabix_index(str(pre), preset="vcf", force=True)
    cache = tmp_path / "cache"
    script = textwrap.dedent(f"""
        import json, sys
        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0]))
                         if event == "open" and str(args[0]).endswith(".h5") else None)
        from spliceannot.io import identity
        from spliceannot.models import spliceai_package
        if {{!r}} == "warm":  # as an earlier run leaves it: the digest kept by the files' stat
            identity.files_digest(spliceai_package.model_paths())
            sys.exit(0)
        from spliceannot.pipeline import Options, score_file
        s = score_file({str(VARIANTS)!r}, {str(tmp_path / "out.vcf")!r},
                       Options(reference={str(CHR16_FASTA)!r}, annotation={str(CHR16_TABLE)!r},
                               model="spliceai", precomputed=({str(pre) + ".gz"!r},)))
        print(json.dumps({{"opened": opened, "torch": "torch" in sys.modules,
                          "h5py": "h5py" in sys.modules,
                          "hits": s.timings["precomputed hits"],
                          "misses": s.timings["precomputed misses"]}}))
    """)
    env = {"SPLICEANNOT_CACHE_DIR": str(cache), "PYTHONPATH": f"{REPO}:{REPO / 'tests'}",
           "PATH": "/usr/bin:/bin"}
    for step in ("warm", "run"):
        done = subprocess.run([sys.executable, "-c", script.replace("{!r}", repr(step))],
                              env=env, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["opened"] == [] and not seen["torch"] and not seen["h5py"]
    assert seen["hits"] > 100 and seen["misses"] == 0

    def entries(p):
        return [l.split("\t")[:8] for l in open(p) if not l.startswith("#")]

    assert entries(tmp_path / "out.vcf") == entries(made)
    assert "##spliceannot_model_hash=sha256:" in open(tmp_path / "out.vcf").read()
