"""Benchmark: Pangolin 1.0.2's own CLI vs ``spliceannot score --model DIR`` on the same VCF.

Both run as whole processes (start-up and model loading included) on the bundled hg38 chr16
slice and the Pangolin golden GTF, at ``-d 50 -m True`` (spliceannot: ``-D 50 -M 1``), on two
workloads drawn from the golden GTF's canonical exons:

  scattered  SNVs spread over the genes, one per exon boundary region (each its own REF pass)
  dense      every SNV (3 per base) in a stretch around one exon boundary

It prints each tool's seconds and variants/s and the ratio, and checks that the INFO/Pangolin
strings are identical. Pangolin needs a throwaway venv with its code (see
plugins/spliceannot-pangolin/tests/golden/README.md): ``--pangolin-python`` is that venv's
python and ``--pangolin-src`` the folder holding its ``pangolin`` package (whose ``models/``
holds the weights). Don't time on a loaded machine.

    python benchmarks/bench_pangolin.py --pangolin-python /tmp/pangolin-venv/bin/python \\
        --pangolin-src /tmp/pangolin-src --n 200
    python benchmarks/bench_pangolin.py ... --n 3     # a quick check that it works
"""

import argparse
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
PLUGIN = REPO / "plugins" / "spliceannot-pangolin"
GOLDEN = PLUGIN / "tests" / "golden"
FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
WEIGHTS = REPO.parent / "shared" / "data" / "models" / "pangolin"
HEADER = ("##fileformat=VCFv4.2\n##contig=<ID=chr16,length=210155>\n"
          "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


def read_fasta() -> str:
    return "".join(FASTA.read_text().splitlines()[1:])


def boundaries() -> list:
    """Canonical exon starts and ends of the golden GTF, away from the contig ends."""
    out = set()
    for line in (GOLDEN / "pangolin_chr16.gtf").read_text().splitlines():
        f = line.split("\t")
        if f[2] == "exon" and "Ensembl_canonical" in f[8]:
            out.update(p for p in (int(f[3]), int(f[4])) if 6000 < p < 204000)
    return sorted(out)


def workload(kind: str, n: int, seq: str) -> list:
    rng = random.Random(7)
    sites = boundaries()
    if kind == "scattered":
        picks = sorted(rng.sample(sites, min(n, len(sites))))
        positions = [p + rng.randint(-20, 20) for p in picks]
        snvs = [(p, seq[p - 1].upper()) for p in positions]
        return [(p, r, rng.choice([b for b in "ACGT" if b != r])) for p, r in snvs][:n]
    start = sites[len(sites) // 2] - n // 6
    out = []
    for p in range(start, start + n):
        r = seq[p - 1].upper()
        out += [(p, r, b) for b in "ACGT" if b != r]
    return [v for v in out if v[1] in "ACGT"][:n]


def write_vcf(path, variants):
    with open(path, "w") as handle:
        handle.write(HEADER)
        for i, (p, r, a) in enumerate(variants):
            handle.write(f"chr16\t{p}\tv{i}\t{r}\t{a}\t.\t.\t.\n")


def info(path) -> dict:
    out = {}
    for line in open(path):
        if not line.startswith("#"):
            f = line.rstrip("\n").split("\t")
            kv = dict(x.split("=", 1) for x in f[7].split(";") if "=" in x)
            out[f[2]] = kv.get("Pangolin")
    return out


def plugin_args() -> list:
    """--plugins-dir for the plugin unless it is installed (its entry point loads it then)."""
    from importlib.metadata import entry_points

    installed = any(e.name == "pangolin" for e in entry_points(group="spliceannot"))
    return [] if installed else ["--plugins-dir", str(PLUGIN)]


def timed(cmd, env=None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pangolin-python", required=True, help="python of Pangolin's venv")
    ap.add_argument("--pangolin-src", required=True, help="folder holding the pangolin package")
    ap.add_argument("--weights", default=os.environ.get("SPLICEANNOT_PANGOLIN_DIR", str(WEIGHTS)))
    ap.add_argument("--n", type=int, default=100, help="variants per workload")
    ap.add_argument("--workloads", default="scattered,dense")
    args = ap.parse_args()
    seq = read_fasta()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        shutil.copy(FASTA, tmp / "chr16.fa")  # pyfastx writes its index beside the FASTA
        subprocess.run([sys.executable, str(GOLDEN / "make_inputs.py"), str(tmp)], check=True)
        src = pathlib.Path(args.pangolin_src)
        create_db = next(p for p in (src / "scripts" / "create_db.py", src / "create_db.py")
                         if p.exists())  # a clone has scripts/; a bare package folder may not
        subprocess.run([args.pangolin_python, str(create_db), str(tmp / "pangolin_chr16.gtf")],
                       check=True, stdout=subprocess.DEVNULL)
        env = dict(os.environ, PYTHONPATH=f"{args.pangolin_src}")
        ours_env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{PLUGIN}")
        for kind in args.workloads.split(","):
            vcf = tmp / f"{kind}.vcf"
            variants = workload(kind, args.n, seq)
            write_vcf(vcf, variants)
            t_pangolin = timed([args.pangolin_python, str(GOLDEN / "run_pangolin.py"), str(vcf),
                                str(tmp / "chr16.fa"), str(tmp / "pangolin_chr16.db"),
                                str(tmp / f"{kind}.pangolin"), "-d", "50", "-m", "True"], env)
            t_ours = timed([sys.executable, "-m", "spliceannot", "score", str(vcf), "-R",
                            str(tmp / "chr16.fa"), "-A", str(tmp / "pangolin_chr16.gtf"),
                            "--model", args.weights, "-D", "50", "-M", "1", "-q",
                            *plugin_args(),
                            "-o", str(tmp / f"{kind}.ours.vcf")], ours_env)
            same = info(tmp / f"{kind}.pangolin.vcf") == info(tmp / f"{kind}.ours.vcf")
            n = len(variants)
            print(f"{kind:9s} n={n:5d}  pangolin {t_pangolin:8.1f} s ({n / t_pangolin:7.2f}/s)  "
                  f"spliceannot {t_ours:8.1f} s ({n / t_ours:7.2f}/s)  "
                  f"ratio {t_pangolin / t_ours:6.2f}x  strings identical: {same}")


if __name__ == "__main__":
    main()
