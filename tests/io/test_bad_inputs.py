"""The bad-input corpus (tests/data/bad/README.md): message, exit code and passthrough of each case."""

import gzip
import os
import shutil
import subprocess
import sys

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, REPO
from support.cli import error_line

BAD = DATA / "bad"


def run(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "spliceannot", "score", *args],
                          capture_output=True, text=True, cwd=cwd)


def score(vcf, out, *extra, reference=CHR16_FASTA, annotation=CHR16_TABLE):
    return run(str(vcf), "-o", str(out), "-R", str(reference), "-A", str(annotation), *extra)


def body(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rt") as h:
        return [l.split("\t")[2] for l in h if not l.startswith("#")]


@pytest.mark.parametrize("name", ["empty.vcf", "not_a_vcf.vcf"])
def test_no_header(tmp_path, name):
    r = score(BAD / name, tmp_path / "o.vcf")
    assert r.returncode == 5
    assert "no VCF header (the first line must be '##fileformat=VCFv4.x')" in error_line(r)


def test_header_only(tmp_path):
    r = score(BAD / "header_only.vcf", tmp_path / "o.vcf")
    assert r.returncode == 0, r.stderr
    assert "records read: 0" in r.stderr
    text = (tmp_path / "o.vcf").read_text()
    assert "##INFO=<ID=SpliceAI" in text and text.rstrip().splitlines()[-1].startswith("#CHROM")


@pytest.mark.parametrize("name,line,why", [
    ("malformed_pos.vcf", 5, "POS 'abc' is not a non-negative integer"),
    ("too_few_columns.vcf", 5, "4 tab-separated fields, a VCF record needs at least 8"),
])
def test_malformed_line_stops_with_partial_kept(tmp_path, name, line, why):
    out = tmp_path / "o.vcf"
    r = score(BAD / name, out)
    assert r.returncode == 5
    message = error_line(r)
    assert f"line {line}: {why}; fix or remove the line, or pass --skip-malformed" in message
    assert f"kept in {out}.partial" in message
    assert not out.exists()
    assert body(f"{out}.partial") == ["a"]


@pytest.mark.parametrize("name", ["malformed_pos.vcf", "too_few_columns.vcf"])
def test_skip_malformed_passes_the_rest(tmp_path, name):
    out, rejects = tmp_path / "o.vcf", tmp_path / "rejects.tsv"
    r = score(BAD / name, out, "--skip-malformed", "--rejects", str(rejects))
    assert r.returncode == 0, r.stderr
    assert body(out) == ["a", "c"]
    assert "records unscored (malformed VCF line): 1" in r.stderr
    assert "records read: 3" in r.stderr and "records written: 2" in r.stderr
    rows = rejects.read_text().splitlines()
    assert rows[0].split("\t")[-1] == "REASON"
    reasons = {row.split("\t")[0]: row.split("\t")[-1] for row in rows[1:]}
    assert reasons["5"].startswith(("POS 'abc'", "4 tab-separated"))


def test_truncated_compressed_input(tmp_path):
    out = tmp_path / "o.vcf"
    r = score(BAD / "truncated.vcf.gz", out)
    assert r.returncode == 5
    # A file is checked for BGZF's end-of-file block before any output is opened.
    assert "BGZF input lacks its end-of-file block: the file was cut short" in error_line(r)
    assert os.listdir(tmp_path) == []
    # On stdin the cut is found where the stream ends: what came before is kept.
    with open(BAD / "truncated.vcf.gz", "rb") as stdin:
        r = subprocess.run([sys.executable, "-m", "spliceannot", "score", "-", "-o", str(out),
                            "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE)], stdin=stdin,
                           capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 5
    assert "compressed input is truncated or corrupt after line" in error_line(r)
    kept = body(f"{out}.partial")
    assert len(kept) > 100 and kept == [f"r{i}" for i in range(len(kept))]


def test_plain_gzip_input(tmp_path):
    r = score(BAD / "plain_gzip.vcf.gz", tmp_path / "o.vcf")
    assert r.returncode == 0, r.stderr
    assert body(tmp_path / "o.vcf") == ["a", "b", "c"]


def test_contig_naming_summarised_up_front(tmp_path):
    r = score(BAD / "contig_naming.vcf", tmp_path / "o.vcf")
    assert r.returncode == 0, r.stderr
    assert "1 of 2 VCF header contigs are absent from the FASTA (chrUn_x)" in r.stderr
    assert body(tmp_path / "o.vcf") == ["a", "b"]


def test_bad_annotation_row(tmp_path):
    r = score(BAD / "ok3.vcf", tmp_path / "o.vcf", annotation=BAD / "bad_table.txt")
    assert r.returncode == 5
    assert "line 3: expected 7 tab-separated columns" in error_line(r)


@pytest.mark.parametrize("strand", ["", "+-", "."])
def test_annotation_strand_must_be_plus_or_minus(tmp_path, strand):
    """An empty (or '+-') STRAND used to pass a substring test and score as '-'/'+' silently."""
    rows = open(CHR16_TABLE).read().splitlines()
    f = rows[2].split("\t")
    f[2] = strand
    table = tmp_path / "t.txt"
    table.write_text("\n".join(rows[:2] + ["\t".join(f)] + rows[3:]) + "\n")
    r = score(BAD / "ok3.vcf", tmp_path / "o.vcf", annotation=table)
    assert r.returncode == 5 and "Traceback" not in r.stderr
    assert error_line(r).endswith(f"line 3: STRAND {strand!r} of {f[0]} is not + or -")
    assert not (tmp_path / "o.vcf").exists()


def test_gzip_not_bgzip_fasta(tmp_path):
    fasta = tmp_path / "ref.fa.gz"
    with open(CHR16_FASTA, "rb") as src, gzip.open(fasta, "wb") as dst:
        shutil.copyfileobj(src, dst)
    r = score(BAD / "ok3.vcf", tmp_path / "o.vcf", reference=fasta)
    assert r.returncode == 5
    assert "must be bgzip-compressed (not gzip) and indexed: 'samtools faidx" in error_line(r)


def test_missing_fasta(tmp_path):
    r = score(BAD / "ok3.vcf", tmp_path / "o.vcf", reference=tmp_path / "nope.fa")
    assert r.returncode == 5 and "no such file" in error_line(r)


def test_unindexed_fasta_gets_indexed(tmp_path):
    fasta = tmp_path / "ref.fa"
    shutil.copy(CHR16_FASTA, fasta)
    r = score(BAD / "ok3.vcf", tmp_path / "o.vcf", reference=fasta)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "ref.fa.fai").exists()


def test_every_allele_case_warns_with_line(tmp_path):
    rejects = tmp_path / "rejects.tsv"
    r = score(BAD / "alleles_and_refs.vcf", tmp_path / "o.vcf", "--model", "tiny-dir",
              "--plugins-dir", str(DATA / "plugins"), "--rejects", str(rejects))
    assert r.returncode == 0, r.stderr
    assert "line 10 (chr16:97430 ref_mismatch T>C): not scored: REF does not match FASTA" in r.stderr
    assert "line 16 (chr16:97502 iupac T>R): ALT R not scored: ALT holds a non-ACGTN base" in r.stderr
    assert len(body(tmp_path / "o.vcf")) == 18
    rows = {row.split("\t")[3]: row.split("\t")[-1] for row in rejects.read_text().splitlines()[1:]}
    assert rows["breakend"] == "ALT A]chr16:150000]: breakend ALT"
    assert rows["ref_too_long"] == "REF longer than 2D"
    assert rows["past_end"] == "window runs past contig end"
    # --rejects holds every unscored record: outside genes too, and chr9 (no gene in this
    # annotation either) is named for what it is, a contig the FASTA lacks.
    assert rows["contig_absent"] == "contig absent from FASTA"
    assert rows["intergenic"] == rows["unsorted_intergenic"] == "no overlapping gene"
    assert "records unscored (contig absent from FASTA): 1" in r.stderr


def test_cuda_without_a_gpu_is_refused_up_front(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    r = score(BAD / "ok3.vcf", tmp_path / "o.vcf", "--device", "cuda")
    assert r.returncode == 2
    assert "--device cuda: no CUDA device is available" in error_line(r)
    assert "Traceback" not in r.stderr and list(tmp_path.iterdir()) == []  # no partial output
