"""A run killed part-way is completed by --resume, identical to an uninterrupted run."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, REPO


def make_vcf(path, n=2500, filler=0):
    """``filler`` letters of random INFO per record make the output large enough that a few
    hundred records already fill the writer's buffers and reach the disk."""
    seq = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:]).upper()
    rng = random.Random(7)
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr16,length=210155>",
             '##INFO=<ID=FILL,Number=1,Type=String,Description="filler">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i in range(n):
        pos = rng.randint(96200, 100200)  # inside NM_006849
        ref = seq[pos - 1]
        alt = rng.choice([b for b in "ACGT" if b != ref])
        info = "FILL=" + "".join(rng.choices("ACGTNacgtn", k=filler)) if filler else "."
        lines.append(f"chr16\t{pos}\tv{i}\t{ref}\t{alt}\t.\t.\t{info}")
    path.write_text("\n".join(lines) + "\n")


def command(vcf, out, *extra):
    return [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out), "-R",
            str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--model", "tiny-dir", "--plugins-dir",
            str(DATA / "plugins"), "--chunk-size", "16", "-q", *extra]


@pytest.mark.parametrize("suffix", [".vcf", ".vcf.gz"])
def test_kill_then_resume_equals_uninterrupted(tmp_path, suffix):
    vcf = tmp_path / "in.vcf"
    # 2000 records of ~400 bytes: the 64 KB buffers (text, BGZF blocks, the file's) fill many
    # times over, so the partial grows on disk all through the run, compressed or not.
    make_vcf(vcf, n=2000, filler=360)
    full = tmp_path / f"full{suffix}"
    subprocess.run(command(vcf, full), check=True, cwd=REPO)

    out = tmp_path / f"out{suffix}"
    partial = tmp_path / f"out{suffix}.partial"
    proc = subprocess.Popen(command(vcf, out), cwd=REPO)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if partial.exists() and partial.stat().st_size > 150_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert partial.exists() and not out.exists()

    r = subprocess.run(command(vcf, out, "--resume"), capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert not partial.exists()
    import gzip

    read = (lambda p: gzip.open(p, "rt").read()) if suffix.endswith(".gz") else \
        (lambda p: open(p).read())
    assert read(out) == read(full).replace(str(full), str(out))


def test_resume_without_partial_is_a_plain_run(tmp_path):
    vcf = tmp_path / "in.vcf"
    make_vcf(vcf, n=20)
    out = tmp_path / "o.vcf"
    r = subprocess.run(command(vcf, out, "--resume"), capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert sum(1 for l in open(out) if not l.startswith("#")) == 20


def test_ctrl_c_keeps_partial_and_says_so(tmp_path):
    vcf = tmp_path / "in.vcf"
    make_vcf(vcf)
    out = tmp_path / "o.vcf"
    partial = tmp_path / "o.vcf.partial"
    proc = subprocess.Popen(command(vcf, out), cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (partial.exists() and partial.stat().st_size > 0):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"interrupted; the records written so far are kept in {partial}" in err
    assert partial.exists() and not out.exists()
