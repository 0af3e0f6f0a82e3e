"""The I/O edge (spliceannot/output.py, vcf.py): records out == records in with their bytes, or a
one-line error with a non-zero exit and nothing outside the output touched."""

import fcntl
import gzip
import json
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, REPO
from support.cli import error_line

pysam = pytest.importorskip("pysam")
BAD = DATA / "bad"
TINY = ("--model", "tiny-dir", "--plugins-dir", str(DATA / "plugins"))
WRITERS = [".vcf", ".vcf.gz", ".bcf", ".tsv", ".jsonl", ".vep.vcf.gz"]


def command(vcf, out, *extra):
    return [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out),
            "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), *TINY, *extra]


def run(vcf, out, *extra, **kw):
    kw.setdefault("capture_output", True)
    return subprocess.run(command(vcf, out, *extra), cwd=REPO, **kw)


def body(path) -> list:
    """Data lines of a VCF/BCF output as bytes, read by htslib for BCF."""
    if str(path).endswith(".bcf"):  # htslib prints it as VCF, bytes as they are
        text = f"{path}.as.vcf"
        with pysam.VariantFile(str(path)) as src, \
                pysam.VariantFile(text, "w", header=src.header) as dst:
            for rec in src:
                dst.write(rec)
        data = open(text, "rb").read()
        os.unlink(text)
        return [l for l in data.split(b"\n") if l and not l.startswith(b"#")]
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [l for l in data.split(b"\n") if l and not l.startswith(b"#")]


def without_spliceai(line: bytes) -> bytes:
    f = line.split(b"\t")
    info = [i for i in f[7].split(b";") if not i.startswith(b"SpliceAI=")]
    f[7] = b";".join(info) or b"."
    return b"\t".join(f)


def bcftools_reads(path, n):
    """``bcftools view`` reads the file and finds ``n`` records (skipped without bcftools)."""
    if shutil.which("bcftools") is None:
        return
    r = subprocess.run(["bcftools", "view", "-H", str(path)], capture_output=True)
    assert r.returncode == 0 and b"[E::" not in r.stderr, r.stderr
    assert len(r.stdout.splitlines()) == n


def hostile_vcf(path):
    """tests/data/bad/hostile_io.vcf: non-ASCII INFO with a sample column, a Latin-1 ID,
    undeclared INFO/FORMAT/FILTER on SNVs, a symbolic ALT with SVTYPE/END, a contig the header
    lacks, POS 0. Returns its body lines."""
    data = (BAD / "hostile_io.vcf").read_bytes()
    path.write_bytes(data)
    return [l for l in data.split(b"\n") if l and not l.startswith(b"#")]


@pytest.mark.parametrize("suffix", [".vcf", ".vcf.gz", ".bcf"])
def test_hostile_records_pass_through_bytes_intact(tmp_path, suffix):
    vcf, out = tmp_path / "in.vcf", tmp_path / f"out{suffix}"
    rows = hostile_vcf(vcf)
    r = run(vcf, out)
    assert r.returncode == 0, r.stderr.decode()
    err = r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "[E::" not in err
    # one warning per undeclared tag, naming it
    for tag in ("FILTER/LowQual", "INFO/DB", "INFO/AC", "FORMAT/AD", "INFO/SVTYPE", "INFO/END",
                "INFO/SVLEN", "contig chrUn_x"):
        assert err.count(tag + " is not declared") == 1, (tag, err)
    got = body(out)
    assert len(got) == len(rows)
    if suffix == ".bcf":  # htslib re-prints records: compare what it read, field by field
        with pysam.VariantFile(str(out)) as f:
            recs = list(f)
        assert recs[0].info["NOTE"] == "Müller-üü…" and recs[0].samples["s1"]["GT"] == (0, 1)
        assert recs[2].filter.keys() == ["LowQual"] and "DB" in recs[2].info
        assert recs[3].stop == 12400 and recs[4].chrom == "chrUn_x" and recs[5].pos == 0
        assert got[2].split(b"\t")[2] == b"id\xfc"  # the Latin-1 byte, unchanged
        # htslib writes records again field by field; each is the input's but for SpliceAI
        assert [without_spliceai(l).split(b"\t")[:7] for l in got] == [r.split(b"\t")[:7] for r in rows]
        assert [l.split(b"\t")[8:] for l in got] == [r.split(b"\t")[8:] for r in rows]
    else:
        assert [without_spliceai(l) for l in got] == rows  # the input's bytes, SpliceAI added
        assert b"SpliceAI=T|" in got[0] and got[0].endswith(b"\tGT\t0/1")
        header = open(out, "rb").read() if suffix == ".vcf" else gzip.open(out).read()
        assert b'##INFO=<ID=END,Number=1,Type=Integer' in header
        assert b"##contig=<ID=chrUn_x>" in header and b"##FILTER=<ID=LowQual," in header
        with pysam.VariantFile(str(out)) as f:
            assert [rec.pos for rec in f] == [12272, 12275, 12280, 12290, 5, 0, 12300]
    bcftools_reads(out, len(rows))


def test_bcf_output_declares_contigs_the_header_lacks(tmp_path):
    vcf, out = tmp_path / "in.vcf", tmp_path / "out.bcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t12272\ta\tC\tT\t.\t.\t.\nchr2\t5\tb\tA\tC\t.\t.\t.\n")
    r = run(vcf, out)
    assert r.returncode == 0, r.stderr.decode()
    with pysam.VariantFile(str(out)) as f:
        assert [(rec.chrom, rec.id) for rec in f] == [("chr16", "a"), ("chr2", "b")]
        assert set(f.header.contigs) == {"chr16", "chr2"}
    bcftools_reads(out, 2)


def test_bcf_on_stdin_equals_vcf_input(tmp_path):
    vcf = tmp_path / "in.vcf"
    hostile_vcf(vcf)
    bcf = tmp_path / "in.bcf"  # a BCF with a complete header: spliceannot's own
    assert run(vcf, bcf, "-q").returncode == 0
    a, b = tmp_path / "a.vcf", tmp_path / "b.vcf"
    with open(bcf, "rb") as stdin:
        r = subprocess.run(command("-", a, "-q"), stdin=stdin, capture_output=True, cwd=REPO)
    assert r.returncode == 0, r.stderr.decode()
    assert run(bcf, b, "-q").returncode == 0
    assert body(a) == body(b) and len(body(a)) == 7
    assert b"SpliceAI=T|" in body(a)[0]


def test_stale_spliceai_values_and_header_are_replaced(tmp_path):
    vcf, out = tmp_path / "in.vcf", tmp_path / "out.vcf"
    seq = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:]).upper()
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr16,length=210155>\n"
                   '##INFO=<ID=SpliceAI,Number=.,Type=String,Description="old run">\n'
                   "##spliceannot_distance=500\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   f"chr16\t12272\tscored\t{seq[12271]}\tT\t.\t.\tA=1;SpliceAI=T|OLD|0.99;B=2\n"
                   f"chr16\t44000\tintergenic\t{seq[43999]}\tT\t.\t.\tSpliceAI=T|OLD|0.99\n"
                   f"chr16\t44001\tbad_ref\tN\tT\t.\t.\tSpliceAI=T|OLD|0.99;C\n")
    r = run(vcf, out, "-q")
    assert r.returncode == 0, r.stderr.decode()
    text = out.read_text()
    assert text.count("##INFO=<ID=SpliceAI,") == 1 and "old run" not in text
    assert text.count("##spliceannot_distance=") == 1 and "##spliceannot_distance=50\n" in text
    assert "OLD" not in text
    lines = body(out)
    assert lines[0].split(b"\t")[7].startswith(b"A=1;B=2;SpliceAI=T|NM_")
    assert lines[1].split(b"\t")[7] == b"." and lines[2].split(b"\t")[7] == b"C"


def many_records(path, n, in_gene=True):
    seq = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:]).upper()
    rng = random.Random(3)
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr16,length=210155>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    span = (96200, 100200) if in_gene else (42600, 47500)  # NM_006849 / no gene
    for i, pos in enumerate(sorted(rng.randint(*span) for _ in range(n))):  # sorted: tabix-able
        alt = "A" if seq[pos - 1] != "A" else "C"
        lines.append(f"chr16\t{pos}\tr{i}_{rng.getrandbits(64):016x}\t{seq[pos - 1]}\t{alt}\t.\t.\t.")
    path.write_text("\n".join(lines) + "\n")


def _limit_file_size(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("suffix", WRITERS)
def test_disk_full_stops_and_never_renames_the_partial(tmp_path, suffix):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 300)
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / f"o{suffix}"
    r = subprocess.run(command(vcf, out, "-q"), cwd=REPO, capture_output=True, text=True,
                       preexec_fn=_limit_file_size(3000),
                       env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert r.returncode == 7, r.stderr
    assert "(disk full or file size limit)" in error_line(r)
    assert not out.exists()
    # no lock or temporary left; the partial and (resumable writers) its saved counts are kept
    assert set(os.listdir(outdir)) <= {f"o{suffix}.partial", f"o{suffix}.partial.counts"}


def test_dev_full_fails_clearly_and_stays_a_device(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 50, in_gene=False)
    r = run(vcf, "/dev/full", "-q", text=True)
    assert r.returncode == 7
    assert "cannot write output /dev/full: No space left on device" in error_line(r)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    # BCF is made at close from the complete header: that write fails clearly too, through a link
    link = tmp_path / "o.bcf"
    link.symlink_to("/dev/full")
    r = run(vcf, link, "-q", text=True)
    assert r.returncode == 7
    # a device is written through the name given (a link to /dev/stdout has no other name)
    assert f"cannot write output {link}: " in error_line(r) and "--resume" not in error_line(r)
    assert link.is_symlink() and sorted(os.listdir(tmp_path)) == ["in.vcf", "o.bcf"]


def test_device_node_is_written_not_replaced(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 20, in_gene=False)
    node = tmp_path / "null.vcf"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
    except PermissionError:
        pytest.skip("creating a device node needs root")
    r = run(vcf, node, "-q", text=True)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISCHR(os.stat(node).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["in.vcf", "null.vcf"]


def test_fifo_is_written_directly(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 20, in_gene=False)
    fifo = tmp_path / "out.vcf"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    r = run(vcf, fifo, "-q", text=True)
    data = reader.communicate()[0]
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sum(1 for l in data.splitlines() if not l.startswith(b"#")) == 20


def test_symlink_target_is_written_and_link_kept(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 20, in_gene=False)
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.vcf"
    target.write_text("old\n")
    link = tmp_path / "link.vcf"
    link.symlink_to(target)
    r = run(vcf, link, "-q", text=True)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(body(target)) == 20
    assert sorted(os.listdir(tmp_path / "real")) == ["out.vcf"]


def test_closed_stdout_stops_the_run(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 20000, in_gene=False)
    proc = subprocess.Popen(command(vcf, "-", "--summary-json", str(tmp_path / "s.json")),
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait() == 7
    assert "Traceback" not in err and "the reader closed the pipe" in err
    assert not (tmp_path / "s.json").exists()  # stopped: no summary of a finished run


def test_second_run_on_the_same_output_is_refused(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 20, in_gene=False)
    out = tmp_path / "o.vcf"
    out.write_text("earlier output\n")
    with open(f"{out}.lock", "w") as held:  # what a running spliceannot holds
        fcntl.flock(held, fcntl.LOCK_EX)
        r = run(vcf, out, "-q", text=True)
    assert r.returncode == 2
    assert "another spliceannot run is writing it" in error_line(r)
    assert out.read_text() == "earlier output\n" and not os.path.exists(f"{out}.partial")
    r = run(vcf, out, "-q", text=True)  # once released, a run goes ahead and leaves no lock
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(tmp_path)) == ["in.vcf", "o.vcf"]


def test_two_concurrent_runs_never_interleave(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 600)
    out = tmp_path / "o.vcf"
    first = subprocess.Popen(command(vcf, out, "-q", "--chunk-size", "4"), cwd=REPO,
                             stderr=subprocess.PIPE, text=True)
    while first.poll() is None and not os.path.exists(f"{out}.partial"):
        pass
    second = run(vcf, out, "-q", "-D", "10", text=True)
    assert first.wait() == 0, first.stderr.read()
    if second.returncode == 0:  # the first had already finished: then the second ran alone
        assert "##spliceannot_distance=10" in out.read_text()
    else:
        assert second.returncode == 2 and "another spliceannot run" in error_line(second)
        assert "##spliceannot_distance=50" in out.read_text()
    assert len(body(out)) == 600


@pytest.mark.parametrize("case,args,message", [
    ("missing dir", ("-o", "{tmp}/nope/o.vcf"), "output {tmp}/nope/o.vcf: directory {tmp}/nope does not exist"),
    ("onto a dir", ("-o", "{tmp}"), "output {tmp}: is a directory"),
    ("rejects", ("-o", "{tmp}/o.vcf", "--rejects", "{tmp}/nope/r.tsv"), "--rejects {tmp}/nope/r.tsv: directory"),
    ("summary", ("-o", "{tmp}/o.vcf", "--summary-json", "{tmp}/nope/s.json"), "--summary-json {tmp}/nope/s.json: directory"),
    ("cache", ("-o", "{tmp}/o.vcf", "--score-cache", "{tmp}/in.vcf"), "--score-cache {tmp}/in.vcf: is a file"),
])
def test_bad_output_names_refused_before_the_run(tmp_path, case, args, message):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 5)
    args = [a.format(tmp=tmp_path) for a in args]
    r = subprocess.run([sys.executable, "-m", "spliceannot", "score", str(vcf), "-R",
                        str(CHR16_FASTA), "-A", str(CHR16_TABLE), *TINY, *args],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2
    assert message.format(tmp=tmp_path) in error_line(r)
    assert os.listdir(tmp_path) == ["in.vcf"]


def test_resume_refuses_a_partial_made_with_other_settings(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 30)
    out = tmp_path / "o.vcf"
    assert run(vcf, out, "-q", "-D", "50").returncode == 0
    partial = tmp_path / "o.vcf.partial"
    lines = out.read_bytes().splitlines(keepends=True)
    partial.write_bytes(b"".join(lines[:-10]))  # as a killed run leaves it
    os.unlink(out)
    before = partial.read_bytes()
    for other, key in ((("-D", "10"), "distance: 50, this run: 10"),
                       (("-M", "1"), "mask: 0, this run: 1"),
                       (("-A", str(DATA / "chr9_gene.txt")), "annotation: ")):
        r = run(vcf, out, "-q", "--resume", *other, text=True)
        assert r.returncode == 2, r.stderr
        assert key in error_line(r) and "was made with other settings" in error_line(r)
        assert partial.read_bytes() == before and not out.exists()
    r = run(vcf, out, "-q", "--resume", "-D", "50", "--scorer", "delta", text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == b"".join(lines).replace(b"scorer=fast", b"scorer=delta")


def test_tabix_and_bcftools_read_every_indexed_and_vcf_output(tmp_path):
    vcf = tmp_path / "in.vcf"
    many_records(vcf, 40)
    outs = {s: tmp_path / f"o{s}" for s in (".vcf", ".vcf.gz", ".bcf", ".vep.vcf.gz")}
    for out in outs.values():
        r = run(vcf, out, "-q", text=True)
        assert r.returncode == 0, r.stderr
    for s in (".vcf", ".vcf.gz", ".bcf"):
        assert len(body(outs[s])) == 40
        bcftools_reads(outs[s], 40)
    # BGZF output is tabix-indexable as it stands
    pysam.tabix_index(str(outs[".vcf.gz"]), preset="vcf", keep_original=True)
    with pysam.TabixFile(str(outs[".vcf.gz"])) as t:
        assert len(list(t.fetch("chr16", 96000, 101000))) == 40
    with pysam.TabixFile(str(outs[".vep.vcf.gz"])) as t:
        vep = list(t.fetch("chr16", 96000, 101000))
    assert len(vep) >= 40 and all(l.split("\t")[7].startswith("SpliceAI=") for l in vep)
    if shutil.which("tabix"):
        r = subprocess.run(["tabix", str(outs[".vep.vcf.gz"]), "chr16:96000-101000"],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout.splitlines() == vep


def test_pos_zero_passes_through_unscored(tmp_path):
    vcf, out, rejects = tmp_path / "in.vcf", tmp_path / "o.jsonl", tmp_path / "r.tsv"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   "chr16\t0\ttel\tN\tA\t.\t.\t.\n")
    r = run(vcf, out, "--rejects", str(rejects), text=True)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in out.read_text().splitlines()[1:]]
    assert rows == [{"chrom": "chr16", "pos": 0, "id": "tel", "ref": "N", "alts": ["A"],
                     "status": "unscored", "reason": "POS 0 (a telomere) cannot be scored"}]
    assert rejects.read_text().splitlines()[1].endswith("\tPOS 0 (a telomere) cannot be scored")


def test_pad_ends_past_the_contig_end_passes_through(tmp_path):
    out = tmp_path / "o.vcf"
    r = run(BAD / "past_contig_end.vcf", out, "-A", "both-strands", "--pad-ends", text=True)
    assert r.returncode == 0, r.stderr
    assert "line 3 (chr16:210300 past A>C): not scored: REF reaches past the contig end" in r.stderr
    assert [l.split(b"\t")[2] for l in body(out)] == [b"past", b"last"]


class _Collect:
    failed = False

    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data += data

    def flush(self):
        pass

    def close(self):
        pass


@pytest.mark.parametrize("threads", [0, 2])
def test_bgzf_blocks_reach_the_sink_as_they_are_compressed(threads):
    # What a kill -9 leaves for --resume is what reached the file: a compressing pool must not
    # sit on finished blocks until its queue fills or the file closes.
    import time

    from spliceannot.io.output import Bgzf

    rng = random.Random(1)
    sink = _Collect()
    bgzf = Bgzf(sink, threads=threads)
    text = bytes(rng.choices(b"ACGTN\t\n", k=4 * 0xff00))
    bgzf.write(text[:3 * 0xff00])
    time.sleep(0.5)  # the pool finishes the three blocks
    bgzf.write(text[3 * 0xff00:])  # the next block sends those already done
    assert len(sink.data) > 0 and gzip.decompress(bytes(sink.data)) == text[:len(
        gzip.decompress(bytes(sink.data)))]
    assert len(gzip.decompress(bytes(sink.data))) >= 3 * 0xff00
    bgzf.close()
    assert gzip.decompress(bytes(sink.data)) == text
