"""The file edge under hostile use: cut BGZF inputs, outputs naming inputs, links planted at
partials, names that forge INFO keys, --resume with rejects and counts, Ctrl-C during start-up,
a FASTA of another assembly, /dev/stdout into a pipe. Records out == records in with their
bytes, or one error line, a non-zero exit and nothing outside the output touched."""

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, REPO, spliceai_installed
from support.cli import error_line

BAD = DATA / "bad"
TINY = ("--model", "tiny-dir", "--plugins-dir", str(DATA / "plugins"))
SEQ = None


def chr16():
    global SEQ
    if SEQ is None:
        SEQ = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:]).upper()
    return SEQ


def score_cmd(vcf, out, *extra, annotation=CHR16_TABLE):
    return [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out),
            "-R", str(CHR16_FASTA), "-A", str(annotation), *TINY, *extra]


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, cwd=REPO, **kw)


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def vcf_text(positions, ids=None, ref_of=None) -> str:
    seq = chr16()
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr16,length=210155>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(positions):
        ref = ref_of(i, seq[pos - 1]) if ref_of else seq[pos - 1]
        alt = "A" if seq[pos - 1] != "A" else "C"
        lines.append(f"chr16\t{pos}\t{ids[i] if ids else f'v{i}'}\t{ref}\t{alt}\t.\t.\t.")
    return "\n".join(lines) + "\n"


def records(path) -> list:
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [l for l in data.split(b"\n") if l and not l.startswith(b"#")]


# ---- 1. a BGZF input cut at a block boundary ---------------------------------------------------

@pytest.mark.parametrize("name", ["cut_in_line.vcf.gz", "cut_at_line_end.vcf.gz"])
@pytest.mark.parametrize("via", ["file", "stdin"])
def test_bgzf_cut_at_a_block_boundary_is_an_error(tmp_path, name, via):
    out = tmp_path / "o.vcf"
    if via == "file":
        r = run(score_cmd(BAD / name, out))
    else:
        with open(BAD / name, "rb") as stdin:
            r = run(score_cmd("-", out), stdin=stdin)
    assert r.returncode == 5, r.stderr
    line = error_line(r)
    assert ("lacks its end-of-file block" in line or "ends without a line end" in line) and \
        ("-" if via == "stdin" else str(BAD / name)) in line
    assert not out.exists()
    if via == "file":  # found before any output is opened
        assert os.listdir(tmp_path) == []


def test_bgzf_of_two_blocks_split_inside_a_line_reads_whole(tmp_path):
    from spliceannot.io.output import _BGZF_EOF, bgzf_block

    text = gzip.decompress(open(BAD / "cut_in_line.vcf.gz", "rb").read()) + b"1\n"
    vcf = tmp_path / "in.vcf.gz"
    cut = len(text) - 2
    vcf.write_bytes(bgzf_block(text[:cut]) + bgzf_block(text[cut:]) + _BGZF_EOF)
    out = tmp_path / "o.vcf"
    r = run(score_cmd(vcf, out, "-q"))
    assert r.returncode == 0, r.stderr
    body = records(out)
    assert len(body) == 3 and body[-1].endswith(b"\tGT\t1/1")


# ---- 2. an output naming an input or another output --------------------------------------------

def _clash_cases(tmp_path):
    vcf = tmp_path / "in.vcf"
    vcf.write_text(vcf_text([96300, 96400]))
    table = tmp_path / "ann.tsv"
    table.write_bytes(open(CHR16_TABLE, "rb").read())
    out = tmp_path / "o.vcf"
    partial_in = tmp_path / "p.vcf.partial"
    partial_in.write_text(vcf.read_text())
    hard = tmp_path / "hard.vcf"
    os.link(vcf, hard)
    return {
        "rejects is the input": (score_cmd(vcf, out, "--rejects", str(vcf)), [vcf]),
        "summary-json is -o": (score_cmd(vcf, out, "--summary-json", str(out)), [vcf]),
        "rejects is -o": (score_cmd(vcf, out, "--rejects", str(out)), [vcf]),
        "-o is the annotation": (score_cmd(vcf, table, annotation=table), [table]),
        "input is OUT.partial": (score_cmd(partial_in, tmp_path / "p.vcf"), [partial_in]),
        "-o a hard link of the input": (score_cmd(vcf, hard), [vcf, hard]),
        "-o another spelling": (score_cmd(vcf, tmp_path / "sub" / ".." / "in.vcf"), [vcf]),
        "rejects is OUT.lock": (score_cmd(vcf, out, "--rejects", f"{out}.lock"), [vcf]),
        "predict -o the annotation": ([sys.executable, "-m", "spliceannot", "predict",
                                       "chr16:96300-96400", "-R", str(CHR16_FASTA), "-A",
                                       str(table), "-o", str(table), *TINY], [table]),
    }


def test_outputs_naming_inputs_are_refused_up_front(tmp_path):
    (tmp_path / "sub").mkdir()
    for case, (cmd, inputs) in _clash_cases(tmp_path).items():
        before = {str(p): digest(p) for p in inputs}
        listing = sorted(os.listdir(tmp_path))
        r = run(cmd)
        assert r.returncode == 2, (case, r.stderr)
        assert "is the same file as" in error_line(r), case
        assert {str(p): digest(p) for p in inputs} == before, case
        assert sorted(os.listdir(tmp_path)) == listing, case


def test_check_distinct_rules(tmp_path):
    from spliceannot.errors import UsageError
    from spliceannot.io.output import check_distinct, side_files

    a = tmp_path / "a.vcf"
    a.write_text("x")
    check_distinct([("in", "-")], [("-o", "-", []), ("--rejects", str(tmp_path / "r"), [])])
    check_distinct([("in", str(a))], [("-o", "/dev/null", side_files("/dev/null")),
                                      ("--rejects", "/dev/null", [])])  # a device twice is fine
    with pytest.raises(UsageError, match="both write to stdout"):
        check_distinct([], [("-o", "-", []), ("--rejects", "-", [])])
    with pytest.raises(UsageError, match=r"its .*a.vcf.partial"):
        check_distinct([("input VCF", str(a) + ".partial")],
                       [("-o", str(a), side_files(str(a)))])
    assert side_files("/dev/null") == [] and side_files("-") == []


# ---- 3. links planted where the run makes its own files ----------------------------------------

@pytest.mark.parametrize("planted", ["o.vcf.partial", "o.vcf.lock"])
def test_a_link_at_the_partial_or_lock_is_never_followed(tmp_path, planted):
    vcf = tmp_path / "in.vcf"
    vcf.write_text(vcf_text([96300]))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / planted).symlink_to(victim)
    r = run(score_cmd(vcf, tmp_path / "o.vcf"))
    assert r.returncode == 2, r.stderr
    assert "symbolic link" in error_line(r)
    assert victim.read_text() == "precious\n" and not (tmp_path / "o.vcf").exists()


def test_create_fresh_replaces_a_stale_file_and_refuses_a_link(tmp_path):
    from spliceannot.errors import OutputError
    from spliceannot.io.output import ByteSink, create_fresh

    stale = tmp_path / "o.partial"
    stale.write_text("old")
    os.close(create_fresh(str(stale)))
    assert stale.read_bytes() == b""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "l.partial"
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="not a regular file"):
        ByteSink(str(link))
    assert victim.read_text() == "precious" and link.is_symlink()


def test_bcf_and_header_temporaries_never_use_a_planted_link(tmp_path):
    # An undeclared INFO tag makes the run rewrite the header; BCF is made at close.
    vcf = tmp_path / "in.vcf"
    vcf.write_text(vcf_text([96300, 96400]).replace("\t.\n", "\tXX=1\n"))
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "o.bcf"
    for name in ("o.bcf.bcf", "o.bcf.partial.bcf", "o.bcf.partial.header", "o.bcf.header"):
        (tmp_path / name).symlink_to(victim)
    r = run(score_cmd(vcf, out, "-q"))
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious"
    pysam = pytest.importorskip("pysam")
    with pysam.VariantFile(str(out)) as f:
        assert [rec.id for rec in f] == ["v0", "v1"]
    left = sorted(p for p in os.listdir(tmp_path) if p.startswith("o.bcf."))
    assert left == ["o.bcf.bcf", "o.bcf.header", "o.bcf.partial.bcf", "o.bcf.partial.header"]


# ---- 4. names that would forge INFO keys --------------------------------------------------------

HOSTILE_NAME = "A|BAD;DP=99,x%y:z"


def test_gene_names_are_percent_encoded_in_info(tmp_path):
    table = tmp_path / "ann.txt"
    rows = open(CHR16_TABLE).read().splitlines()
    rows = [rows[0]] + [HOSTILE_NAME + l[len("NM_006849"):] if l.startswith("NM_006849\t")
                        else l for l in rows[1:]]
    table.write_text("\n".join(rows) + "\n")
    vcf = tmp_path / "in.vcf"
    vcf.write_text(vcf_text([96300]))
    out = tmp_path / "o.vcf"
    r = run(score_cmd(vcf, out, "-q", annotation=table))
    assert r.returncode == 0, r.stderr
    (line,) = records(out)
    info = line.split(b"\t")[7].decode()
    keys = [item.split("=", 1)[0] for item in info.split(";")]
    assert keys == ["SpliceAI"], info  # no forged DP
    entry = info[len("SpliceAI="):].split(",")
    hit = [e for e in entry if "BAD" in e]
    assert hit and hit[0].split("|")[1] == "A%7CBAD%3BDP%3D99%2Cx%25y%3Az"
    assert all(len(e.split("|")) == 10 for e in entry)
    tsv = tmp_path / "o.tsv"
    r = run(score_cmd(vcf, tsv, "-q", annotation=table))
    assert r.returncode == 0, r.stderr
    rows = [l.split("\t") for l in tsv.read_text().splitlines() if not l.startswith("#")]
    assert len({len(r) for r in rows}) == 1  # the name no longer splits a column


def test_encode_name_round_trip_and_ordinary_names_unchanged():
    from spliceannot.io.vcf_header import decode_name, encode_name

    for name in ("TUBB8", "HLA-A", "NM_006849", "C1orf112/ENST00000286031", "a b"):
        assert encode_name(name) == name
    for name in (HOSTILE_NAME, "%25", "\t\r\n", "100%"):
        assert decode_name(encode_name(name)) == name
        assert not set(encode_name(name)) & set(";=,|:\t\r\n")


# ---- 5. --resume keeps rejects and counts, and streams the partial -----------------------------

def _resume_vcf(path, n=600):
    import random

    rng = random.Random(11)
    positions = [rng.randint(96200, 100200) if i % 7 else 150 for i in range(n)]  # 150: no gene
    text = vcf_text(positions, ref_of=lambda i, b: ("T" if b != "T" else "G")
                    if i % 11 == 0 else b)  # every 11th REF mismatches
    # Long lines: the output's 64 KB buffer reaches the disk every ~100 records.
    text = text.replace("\t.\n", "\tPAD=" + "x" * 500 + "\n").replace(
        "#CHROM", '##INFO=<ID=PAD,Number=1,Type=String,Description="padding">\n#CHROM')
    path.write_text(text)


def _counts(path):
    d = json.load(open(path))
    return {k: v for k, v in d.items() if k not in ("seconds", "timings", "resumed")}


def _resumable(partial, counts) -> bool:
    """A saved point whose records are all complete in the partial (one to resume from)."""
    try:
        lines = partial.read_bytes().split(b"\n")[:-1]
        points = [json.loads(l) for l in counts.read_bytes().splitlines()[:-1]]
    except (OSError, ValueError):
        return False
    complete = sum(1 for l in lines if not l.startswith(b"#"))
    return any(0 < p["records_out"] <= complete for p in points)


def test_kill_then_resume_keeps_rejects_and_counts(tmp_path):
    vcf = tmp_path / "in.vcf"
    _resume_vcf(vcf)
    common = ("--chunk-size", "4", "-q")
    full, full_rej, full_sum = tmp_path / "full.vcf", tmp_path / "full.rej", tmp_path / "full.json"
    # the uninterrupted run alongside the one to be killed
    baseline = subprocess.Popen(score_cmd(vcf, full, *common, "--rejects", str(full_rej),
                                          "--summary-json", str(full_sum)), cwd=REPO)
    out, rej, summ = tmp_path / "o.vcf", tmp_path / "o.rej", tmp_path / "o.json"
    args = score_cmd(vcf, out, *common, "--rejects", str(rej), "--summary-json", str(summ))
    partial, counts = tmp_path / "o.vcf.partial", tmp_path / "o.vcf.partial.counts"
    for attempt in range(3):  # under load a run may finish before it is killed: try again
        proc = subprocess.Popen(args, cwd=REPO)
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None and not _resumable(partial, counts):
            time.sleep(0.02)
        if proc.poll() is None:
            break
        for p in (out, rej, summ):
            p.unlink()
    else:
        pytest.skip("the run always finished before it could be killed")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert baseline.wait() == 0
    assert partial.exists() and not out.exists() and (tmp_path / "o.rej.partial").exists()
    r = run(args + ["--resume"])
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == full.read_bytes().replace(str(full).encode(), str(out).encode())
    assert rej.read_bytes() == full_rej.read_bytes()
    assert _counts(summ) == _counts(full_sum)
    assert json.load(open(summ))["resumed"] > 0
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["in.vcf", "full.vcf", "full.rej", "full.json", "o.vcf", "o.rej", "o.json"])


def test_resume_without_saved_counts_starts_over(tmp_path):
    vcf = tmp_path / "in.vcf"
    _resume_vcf(vcf, n=30)
    full = tmp_path / "full.vcf"
    assert run(score_cmd(vcf, full, "-q")).returncode == 0
    out = tmp_path / "o.vcf"
    # a partial of an older version: header and some records, no counts beside it
    (tmp_path / "o.vcf.partial").write_bytes(full.read_bytes()[:-200])
    r = run(score_cmd(vcf, out, "--resume"))
    assert r.returncode == 0, r.stderr
    assert "starting over" in r.stderr
    assert out.read_bytes() == full.read_bytes().replace(str(full).encode(), str(out).encode())


def test_resume_stopped_while_replaying_continues_from_the_partial_it_read(tmp_path):
    vcf = tmp_path / "in.vcf"
    _resume_vcf(vcf, n=30)
    full = tmp_path / "full.vcf"
    assert run(score_cmd(vcf, full, "-q")).returncode == 0
    lines = full.read_bytes().splitlines(keepends=True)
    head = [l for l in lines if l.startswith(b"#")]
    body = [l for l in lines if not l.startswith(b"#")]
    # the first resume read o.vcf.partial (kept as .old), wrote 5 of its 20 records again, died
    (tmp_path / "o.vcf.partial.old").write_bytes(b"".join(head + body[:20]))
    (tmp_path / "o.vcf.partial").write_bytes(b"".join(head + body[:5]))
    counts = {"records_in": 20, "records_out": 20, "scored": 0, "entries": 0, "resumed": 0,
              "unscored": {}, "alt_skips": {}}
    (tmp_path / "o.vcf.partial.counts").write_text(json.dumps(
        {"records_out": 20, "records_in": 20, "counts": counts, "rejects": None}) + "\n")
    out, summ = tmp_path / "o.vcf", tmp_path / "o.json"
    r = run(score_cmd(vcf, out, "--resume", "--summary-json", str(summ)))
    assert r.returncode == 0, r.stderr
    assert "starting over" not in r.stderr and json.load(open(summ))["resumed"] == 20
    assert out.read_bytes() == full.read_bytes().replace(str(full).encode(), str(out).encode())
    assert sorted(os.listdir(tmp_path)) == ["full.vcf", "in.vcf", "o.json", "o.vcf"]


def test_completed_records_streams_the_partial(tmp_path):
    from spliceannot.io.resume import completed_records

    partial = tmp_path / "big.vcf.partial"
    line = "chr16\t96300\tv\tA\tC\t.\t.\tSpliceAI=C|G|0.00|0.00|0.00|0.00|1|2|3|4\n"
    with open(partial, "w") as h:
        h.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        h.write(line * 200_000)  # ~14 MB
        h.write("chr16\t96300\tcut")
    tracemalloc.start()
    n = sum(1 for _ in completed_records(str(partial)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 200_000
    assert peak < 2_000_000, peak  # never the whole partial in memory


# ---- 6. Ctrl-C during start-up ------------------------------------------------------------------

def test_ctrl_c_during_start_up_exits_130(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    marker = tmp_path / "loading"
    (plugins / "slow_start.py").write_text(
        "import pathlib, time\n"
        f"pathlib.Path({str(marker)!r}).write_text('x')\n"
        "time.sleep(60)\n")
    vcf = tmp_path / "in.vcf"
    vcf.write_text(vcf_text([96300]))
    out = tmp_path / "o.vcf"
    cmd = [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out), "-R",
           str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--plugins-dir", str(plugins)]
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not marker.exists() and proc.poll() is None:
        time.sleep(0.01)
    assert marker.exists(), "the plugin was never loaded"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert not out.exists()


def test_main_exits_with_the_code_typer_returns(monkeypatch):
    from spliceannot import cli

    class App:
        def __call__(self, args=None, standalone_mode=True):
            return 130

    monkeypatch.setattr(cli, "build_app", lambda: App())
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 130


# ---- 7. a FASTA of another assembly -------------------------------------------------------------

def _genes(path):
    from spliceannot.genes import read_table

    return read_table(path)


def test_assembly_lengths_are_the_public_ones():
    from spliceannot.genes.assembly import assembly_lengths

    g38, g37 = assembly_lengths("GRCh38"), assembly_lengths("GRCh37")
    assert len(g38) == len(g37) == 25
    assert g38["16"] == 90338345 and g38["22"] == 50818468 and g38["MT"] == 16569
    assert g37["10"] == 135534747 and g37["20"] == 63025520


def test_slice_fasta_with_full_length_claims_is_refused_when_sites_disagree(tmp_path):
    from spliceannot.errors import InputError
    from spliceannot.genes.assembly import check_assembly
    from spliceannot.io.reference import Reference

    ref = Reference(str(CHR16_FASTA))
    try:
        genes = _genes(CHR16_TABLE)
        check_assembly(ref, genes, {})  # no length stated: nothing to compare
        check_assembly(ref, genes, {"chr16": 210155})
        check_assembly(ref, genes, {"16": 90338345})  # lengths differ, the sites agree: a warning
        shifted = tmp_path / "shifted.txt"
        rows = open(CHR16_TABLE).read().splitlines()
        out = [rows[0]]
        for row in rows[1:]:  # the same genes 1 kb further on: coordinates of another slice
            f = row.split("\t")
            f[3:5] = [str(int(x) + 1000) for x in f[3:5]]
            f[5:7] = [",".join(str(int(x) + 1000) for x in c.split(",") if x) + ","
                      for c in f[5:7]]
            out.append("\t".join(f))
        shifted.write_text("\n".join(out) + "\n")
        genes = _genes(shifted)
        check_assembly(ref, genes, {})  # without a stated length there is no claim to test
        with pytest.raises(InputError, match=r"contig chr16: the FASTA has 210155 bp, the VCF "
                                             r"header says 90338345 bp, and only \d+ of \d+"):
            check_assembly(ref, genes, {"chr16": 90338345})
        genes.assembly, genes.contig_lengths = "GRCh38", {"16": 90338345}
        with pytest.raises(InputError, match=r"annotation shifted.txt \(GRCh38\) says 90338345"):
            check_assembly(ref, genes, {})
    finally:
        ref.close()


@pytest.mark.skipif(not spliceai_installed(), reason="-A grch38 needs the spliceai package")
def test_grch38_with_a_slice_fasta_stops_before_any_output(tmp_path):
    vcf = tmp_path / "in.vcf"
    vcf.write_text(vcf_text([50000]).replace("##contig=<ID=chr16,length=210155>\n", ""))
    out = tmp_path / "o.vcf"
    r = run(score_cmd(vcf, out, annotation="grch38"))
    assert r.returncode == 5, r.stderr
    assert error_line(r).startswith("spliceannot: error: contig chr16: the FASTA has 210155 bp, "
                                    "annotation grch38 (GRCh38) says 90338345 bp")
    assert sorted(os.listdir(tmp_path)) == ["in.vcf"]


# ---- 8. /dev/stdout into a pipe -----------------------------------------------------------------

def test_dev_stdout_into_a_pipe(tmp_path):
    vcf = tmp_path / "in.vcf"
    vcf.write_text(vcf_text([96300, 96400, 150]))
    r = run(score_cmd(vcf, "/dev/stdout", "-q"), text=False)
    assert r.returncode == 0, r.stderr
    body = [l for l in r.stdout.split(b"\n") if l and not l.startswith(b"#")]
    assert [l.split(b"\t")[2] for l in body] == [b"v0", b"v1", b"v2"]
    assert b"SpliceAI=" in body[0]
