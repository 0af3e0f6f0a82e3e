"""The command line: SpliceAI-compatible flags, stdout, errors as one line with an exit code."""

import subprocess
import sys

from support.paths import CHR16_FASTA, CHR16_TABLE, EXAMPLES, REPO

INTERGENIC = ("##fileformat=VCFv4.2\n##contig=<ID=chr16,length=210155>\n"
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
              "chr16\t44000\ta\tC\tT\t.\t.\t.\nchr16\t90000\tb\tA\tT\t.\t.\t.\n")


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "spliceannot", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO)


def test_spliceai_flags_and_stdout(tmp_path):
    vcf = tmp_path / "in.vcf"
    vcf.write_text(INTERGENIC)
    r = run("score", "-I", str(vcf), "-O", "-", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE),
            "-D", "50", "-M", "1")
    assert r.returncode == 0, r.stderr
    body = [l for l in r.stdout.splitlines() if not l.startswith("#")]
    assert [l.split("\t")[2] for l in body] == ["a", "b"]
    assert "spliceannot: records read: 2" in r.stderr
    assert "records unscored (no overlapping gene): 2" in r.stderr


def test_stdin(tmp_path):
    r = run("score", "-", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--format", "tsv", "-q",
            stdin=INTERGENIC)
    assert r.returncode == 0, r.stderr
    rows = [l for l in r.stdout.splitlines() if not l.startswith("##")]
    assert rows[0].startswith("CHROM\tPOS") and len(rows) == 3


def test_errors_are_one_line(tmp_path):
    r = run("score", str(tmp_path / "missing.vcf"), "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE))
    assert r.returncode == 5
    assert r.stderr.strip().splitlines() == [
        f"spliceannot: error: input VCF {tmp_path / 'missing.vcf'}: no such file"]
    r = run("score", str(EXAMPLES / "chr16_demo.vcf"), "-R", str(CHR16_FASTA), "-A", "nope")
    assert r.returncode == 2 and "annotation 'nope': neither a file nor a registered source" in r.stderr
    r = run("score", str(EXAMPLES / "chr16_demo.vcf"), "-R", str(CHR16_FASTA), "-A",
            str(CHR16_TABLE), "--model", "nope")
    assert r.returncode == 2 and "unknown model 'nope'; known: " in r.stderr
    r = run("score", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE))
    assert r.returncode == 2 and "no input VCF" in r.stderr
