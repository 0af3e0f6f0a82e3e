"""Benchmark: Pangolin 1.0.2's own CLI vs ``spliceannot score --model DIR``, side by side.

Both run as whole processes (interpreter start, imports, weight loading, annotation reading all
included) on the bundled hg38 chr16 slice and the Pangolin golden GTF, at ``-d 50 -m True``
(spliceannot: ``-D 50 -M 1``), on two workloads drawn from the golden GTF's canonical exons:

  scattered  SNVs spread over the genes, one near each of N exon boundaries (issue target >= 8x)
  dense      every SNV (3 per base) of a stretch of --dense-nt bases around one exon boundary
             (200 nt: 600 records; target >= 25x)

and an ``empty`` VCF (no records) that measures each tool's start-up alone, so each line also says
where the time goes: start-up versus per record. The INFO/Pangolin strings must be identical
(checked record by record; a difference is printed and the exit code is 1).

Pangolin's CLI needs a throwaway venv with its dependencies (torch, gffutils, pyfastx, PyVCF3,
setuptools<81 for pkg_resources) and its source (tkzeng/Pangolin at ee70f480, setup.py 1.0.2;
its ``pangolin/models/`` must hold the 12 ``final.*.3.v2`` weight files). Recipe used here:

    python -m venv /work/pangolin-venv
    echo /work/main/.venv/lib/python3.11/site-packages \\
        > /work/pangolin-venv/lib/python3.11/site-packages/main-venv.pth   # torch, numpy, pandas
    /work/pangolin-venv/bin/pip install gffutils pyfastx PyVCF3 "setuptools<81"
    # Pangolin's source at ee70f480 in /work/pangolin-src, weights copied into pangolin/models/

Run on a quiet machine (Pangolin's CLI takes seconds per record on CPU; the dense set is 600):

    python benchmarks/bench_pangolin.py                       # scattered 50, dense 200 nt
    python benchmarks/bench_pangolin.py --quick               # a dry run: 2 + 2 records
"""

import argparse
import json
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
# Far enough from the slice's ends for Pangolin's 5,000 + d window (pyfastx crashes past them).
LOW, HIGH = 6000, 204000


def read_fasta() -> str:
    return "".join(FASTA.read_text().splitlines()[1:])


def boundaries(gtf: pathlib.Path) -> list:
    """Canonical exon starts and ends of the golden GTF, away from the contig ends."""
    out = set()
    for line in gtf.read_text().splitlines():
        f = line.split("\t")
        if f[2] == "exon" and "Ensembl_canonical" in f[8]:
            out.update(p for p in (int(f[3]), int(f[4])) if LOW < p < HIGH)
    return sorted(out)


def scattered(n: int, seq: str, sites: list) -> list:
    """One SNV within 20 nt of each of ``n`` exon boundaries (upper-case REF: Pangolin compares
    REF to the FASTA case-sensitively)."""
    rng = random.Random(7)
    out = []
    for p in sorted(rng.sample(sites, min(n, len(sites)))):
        p += rng.randint(-20, 20)
        r = seq[p - 1]
        if r in "ACGT":
            out.append((p, r, rng.choice([b for b in "ACGT" if b != r])))
    return out


def dense(nt: int, seq: str, sites: list) -> list:
    """Every SNV of ``nt`` bases centred on an exon boundary (soft-masked bases skipped)."""
    start = sites[len(sites) // 2] - nt // 2
    return [(p, seq[p - 1], b) for p in range(start, start + nt) if seq[p - 1] in "ACGT"
            for b in "ACGT" if b != seq[p - 1]]


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
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(map(str, cmd))}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


class Tools:
    """The two command lines on one set of inputs in ``tmp``."""

    def __init__(self, args, tmp: pathlib.Path):
        self.args, self.tmp = args, tmp
        self.fasta = tmp / "chr16.fa"
        shutil.copy(FASTA, self.fasta)  # pyfastx writes its index beside the FASTA
        subprocess.run([sys.executable, str(GOLDEN / "make_inputs.py"), str(tmp)], check=True,
                       stdout=subprocess.DEVNULL)
        self.gtf = tmp / "pangolin_chr16.gtf"
        src = pathlib.Path(args.pangolin_src)
        create_db = next(p for p in (src / "scripts" / "create_db.py", src / "create_db.py")
                         if p.exists())  # a clone has scripts/; a bare package folder may not
        subprocess.run([args.pangolin_python, str(create_db), str(self.gtf)], check=True,
                       stdout=subprocess.DEVNULL)
        self.db = tmp / "pangolin_chr16.db"
        self.pangolin_env = dict(os.environ, PYTHONPATH=str(src))
        self.ours_env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{PLUGIN}",
                             SPLICEANNOT_CACHE_DIR=str(tmp / "cache"))
        # The GTF is parsed once and cached, as a user's second run finds it: warm it here.
        self.ours(tmp / "empty.vcf", "warm")

    def pangolin(self, vcf, name) -> float:
        return timed([self.args.pangolin_python, str(GOLDEN / "run_pangolin.py"), str(vcf),
                      str(self.fasta), str(self.db), str(self.tmp / f"{name}.pangolin"),
                      "-d", "50", "-m", "True"], self.pangolin_env)

    def ours(self, vcf, name) -> tuple:
        """(wall seconds, the run summary) of one whole ``spliceannot score`` process."""
        summary = self.tmp / f"{name}.summary.json"
        wall = timed([sys.executable, "-m", "spliceannot", "score", str(vcf), "-R",
                      str(self.fasta), "-A", str(self.gtf), "--model", self.args.weights,
                      "-D", "50", "-M", "1", "-q", *plugin_args(), "--summary-json",
                      str(summary), "-o", str(self.tmp / f"{name}.ours.vcf")], self.ours_env)
        return wall, json.loads(summary.read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pangolin-python", default="/work/pangolin-venv/bin/python",
                    help="python of Pangolin's venv")
    ap.add_argument("--pangolin-src", default="/work/pangolin-src",
                    help="folder holding Pangolin's source (pangolin/, scripts/)")
    ap.add_argument("--weights", default=os.environ.get("SPLICEANNOT_PANGOLIN_DIR", str(WEIGHTS)))
    ap.add_argument("--scattered", type=int, default=50, help="scattered records")
    ap.add_argument("--dense-nt", type=int, default=200, help="bases of the dense stretch")
    ap.add_argument("--quick", action="store_true", help="2 scattered, 1 dense base: a dry run")
    args = ap.parse_args()
    if args.quick:
        args.scattered, args.dense_nt = 2, 1
    seq = read_fasta()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        write_vcf(tmp / "empty.vcf", [])
        tools = Tools(args, tmp)
        sites = boundaries(tools.gtf)
        p0 = tools.pangolin(tmp / "empty.vcf", "empty")
        o0, _ = tools.ours(tmp / "empty.vcf", "empty")
        print(f"{'workload':9s} {'n':>5s} | {'Pangolin CLI s':>14s} {'rec/s':>7s} | "
              f"{'spliceannot s':>13s} {'rec/s':>7s} | {'ratio':>6s} | identical | "
              f"spliceannot: start-up, model load+run, REF, ALT s")
        print(f"{'empty':9s} {0:5d} | {p0:14.1f} {'':7s} | {o0:13.1f} {'':7s} | "
              f"{p0 / o0:5.2f}x | {'':9s} | start-up alone (both tools)")
        for kind, variants in (("scattered", scattered(args.scattered, seq, sites)),
                               ("dense", dense(args.dense_nt, seq, sites))):
            vcf = tmp / f"{kind}.vcf"
            write_vcf(vcf, variants)
            tp = tools.pangolin(vcf, kind)
            to, summary = tools.ours(vcf, kind)
            theirs, ours = info(tmp / f"{kind}.pangolin.vcf"), info(tmp / f"{kind}.ours.vcf")
            same = theirs == ours and len(ours) == len(variants)
            failed |= not same
            n = len(variants)
            t = summary.get("timings", {})
            print(f"{kind:9s} {n:5d} | {tp:14.1f} {n / tp:7.2f} | {to:13.1f} {n / to:7.2f} | "
                  f"{tp / to:5.2f}x | {str(same):9s} | {to - summary['seconds']:.1f}, "
                  f"{summary['seconds']:.1f}, {t.get('ref seconds', 0):.1f}, "
                  f"{t.get('alt seconds', 0):.1f}")
            if n:
                print(f"{'':9s} {'':5s} | per record after start-up: Pangolin "
                      f"{(tp - p0) / n:.3f} s, spliceannot {(to - o0) / n:.3f} s "
                      f"({(tp - p0) / max(to - o0, 1e-9):.1f}x)")
            for key in sorted(set(theirs) | set(ours)):
                if theirs.get(key) != ours.get(key):
                    print(f"  differs at {key}: Pangolin {theirs.get(key)!r}, "
                          f"spliceannot {ours.get(key)!r}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
