"""Pass-through speed: records no gene overlaps, through spliceannot vs ``bcftools view``.

Makes ``--records`` intergenic records on the bundled chr16 example (INFO and one sample column,
as a real call set has) and prints records/s of both side by side, for .vcf and .vcf.gz output.
spliceannot's rate is its run time as the summary reports it (reading, planning, writing, not
the start-up of Python and the model); bcftools' is its whole process. Needs ``bcftools`` on PATH
(``apt-get install bcftools``).

    PYTHONPATH=. python benchmarks/bench_passthrough.py --records 200000
"""

import argparse
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
TABLE = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"
PLUGINS = REPO / "tests" / "data" / "plugins"


def make_vcf(path, n):
    rng = random.Random(1)
    with open(path, "w") as out:
        out.write("##fileformat=VCFv4.2\n##contig=<ID=chr16,length=210155>\n"
                  '##INFO=<ID=AC,Number=A,Type=Integer,Description="count">\n'
                  '##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
                  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
                  "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
        for i, pos in enumerate(sorted(rng.randint(42600, 47500) for _ in range(n))):
            # N REF: no gene here, and nothing for the FASTA check to refuse before that
            out.write(f"chr16\t{pos}\trs{i}\tN\tA\t50\tPASS\tAC=1;DP={rng.randint(5, 60)}\tGT\t0/1\n")


def bcftools_rate(vcf, out, n):
    fmt = "z" if out.endswith(".gz") else "v"
    start = time.perf_counter()
    subprocess.run(["bcftools", "view", "-O", fmt, "-o", out, vcf], check=True)
    return n / (time.perf_counter() - start)


def spliceannot_rate(vcf, out, tmp):
    summary = f"{tmp}/summary.json"
    subprocess.run([sys.executable, "-m", "spliceannot", "score", vcf, "-o", out, "-R", str(FASTA),
                    "-A", str(TABLE), "--model", "tiny-dir", "--plugins-dir", str(PLUGINS), "-q",
                    "--summary-json", summary], check=True, cwd=REPO)
    s = json.load(open(summary))
    assert s["records_out"] == s["records_in"], s
    return s["records_in"] / s["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    if shutil.which("bcftools") is None:
        sys.exit("bench_passthrough needs bcftools on PATH (apt-get install bcftools)")
    with tempfile.TemporaryDirectory() as tmp:
        vcf = f"{tmp}/in.vcf"
        make_vcf(vcf, args.records)
        print(f"{args.records} intergenic records with INFO and a sample column")
        print(f"{'output':<8} {'bcftools view rec/s':>20} {'spliceannot rec/s':>18} {'ratio':>6}")
        for suffix in (".vcf", ".vcf.gz"):
            b = bcftools_rate(vcf, f"{tmp}/b{suffix}", args.records)
            s = spliceannot_rate(vcf, f"{tmp}/s{suffix}", tmp)
            print(f"{suffix:<8} {b:>20,.0f} {s:>18,.0f} {s / b:>6.2f}")


if __name__ == "__main__":
    main()
