"""The persistent score cache: a second identical run computes nothing; other settings miss."""

from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN
from support.fakes import BaseCountModel, add_models
from spliceannot.pipeline import Options, score_file


def body(path):
    return [l.split("\t")[:8] for l in open(path) if not l.startswith("#")]


def test_second_run_is_answered_from_the_cache(tmp_path):
    undo = add_models(BaseCountModel())
    try:
        def run(name, **kw):
            BaseCountModel.calls = 0
            out = tmp_path / name
            summary = score_file(str(GOLDEN / "chr16_variants.vcf"), str(out), Options(
                reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                model=BaseCountModel.name, score_cache=str(tmp_path / "cache"), **kw))
            run.timings = summary.timings
            return out, BaseCountModel.calls

        first, calls = run("a.vcf")
        assert calls > 100
        # Counted are the records that need a model; records outside every gene pass by before
        # the lookups, and unscorable ones never reach them.
        assert run.timings["cache hits"] == 0 and run.timings["cache misses"] == 302
        second, calls = run("b.vcf")
        assert calls == 0 and body(second) == body(first)
        assert run.timings["cache hits"] == 302 and run.timings["cache misses"] == 0
        _, calls = run("c.vcf", distance=10)  # other settings: another cache file
        assert calls > 100
        raw, calls = run("d.vcf", raw=True)
        assert calls > 0 and len(list((tmp_path / "cache" / "scores").glob("*.sqlite"))) == 3
        again, calls = run("e.vcf", raw=True)
        assert calls == 0 and body(again) == body(raw)
    finally:
        undo()


def test_garbage_cache_file_is_one_line_and_a_bad_row_is_a_miss(tmp_path):
    import sqlite3
    import subprocess
    import sys

    from support.paths import DATA, REPO

    vcf = tmp_path / "one.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t97420\tv\tC\tA\t.\t.\t.\n")

    def run(out):
        return subprocess.run(
            [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out), "-R",
             str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--model", "tiny-dir", "--plugins-dir",
             str(DATA / "plugins"), "--score-cache", str(tmp_path / "cache"), "-q"],
            capture_output=True, text=True, cwd=REPO)

    assert run(tmp_path / "a.vcf").returncode == 0
    (db,) = (tmp_path / "cache" / "scores").glob("*.sqlite")
    # a row this version cannot read: a miss, recomputed and replaced
    with sqlite3.connect(db) as con:
        con.execute("UPDATE scores SET body = 'not json'")
    r = run(tmp_path / "b.vcf")
    assert r.returncode == 0, r.stderr
    assert body(tmp_path / "b.vcf") == body(tmp_path / "a.vcf")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT body FROM scores").fetchone()[0].startswith('{"entries"')
    # a file that is no database at all: one line, exit 5, no output
    db.write_bytes(b"garbage, not an SQLite file" * 40)
    r = run(tmp_path / "c.vcf")
    assert r.returncode == 5 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (f"spliceannot: error: --score-cache: {db} is not a usable score "
                                f"cache (file is not a database); delete it to start it afresh")
    assert not (tmp_path / "c.vcf").exists() and not (tmp_path / "c.vcf.partial").exists()
