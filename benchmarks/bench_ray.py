"""Benchmark of scale-out (issue 7): local engine vs ``--engine ray``, and precompute throughput.

On GRCh37 chr20 (../shared/data/human_grch37/chr20, ``--chr20`` to override) it
  (1) writes a workload VCF of every SNV over ``--bp`` bases of each of the ``--genes`` smallest
      chr20 genes (via ``spliceannot.scale.precompute.write_variants``),
  (2) scores it with ``spliceannot score`` locally and with ``--engine ray --shards S`` on a local
      Ray instance of ``--workers`` CPUs, each one CLI process (start-up, model loads and, for
      Ray, cluster start included), and checks that the outputs are byte-identical,
  (3) times ``spliceannot precompute GENE`` (all SNVs of one real chr20 gene) locally.

    python benchmarks/bench_ray.py --model spliceai --bp 8 --genes 3 --precompute-gene AL160175.1
    python benchmarks/bench_ray.py --model tiny-dir --plugins-dir tests/data/plugins --bp 60
"""

import argparse
import gzip
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
CHR20 = REPO.parent / "shared" / "data" / "human_grch37" / "chr20"


def cli(*args):
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "spliceannot", *args, "-q"], check=True)
    return time.perf_counter() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--chr20", default=str(CHR20))
    ap.add_argument("--model", default="spliceai")
    ap.add_argument("--plugins-dir")
    ap.add_argument("--genes", type=int, default=3, help="smallest chr20 genes in the workload")
    ap.add_argument("--bp", type=int, default=8, help="bases per gene (3 SNVs each)")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--precompute-gene", help="a chr20 gene for the precompute throughput row")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from spliceannot.scale import precompute
    from spliceannot import registry
    from spliceannot.io.reference import Reference

    fasta = f"{args.chr20}/20.fa.gz"
    table = f"{args.chr20}/spliceai_grch37_chr20.txt.gz"
    extra = ["--model", args.model] + (["--plugins-dir", args.plugins_dir] if args.plugins_dir else [])
    genes = sorted(registry.load_annotation(table).genes, key=lambda g: (g.tx_end - g.tx_start, g.name))
    picked = genes[:args.genes]
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench_ray_"))
    vcf = work / "workload.vcf"
    reference = Reference(fasta)
    intervals = sorted((g.chrom, g.tx_start, min(g.tx_end, g.tx_start + args.bp - 1))
                       for g in picked)
    records = precompute.write_variants(vcf, reference, intervals, ("snv",))
    reference.close()
    variants = records * 3
    rows = []
    common = ["-R", fasta, "-A", table, *extra]
    local_s = cli("score", str(vcf), "-o", str(work / "local.vcf"), *common)
    rows.append(("local engine (1 process)", variants, local_s))
    ray_s = cli("score", str(vcf), "-o", str(work / "ray.vcf"), *common, "--engine", "ray",
                "--shards", str(args.shards), "--workers", str(args.workers))
    rows.append((f"ray, {args.workers} workers, {args.shards} shards", variants, ray_s))
    identical = (work / "local.vcf").read_bytes() == (work / "ray.vcf").read_bytes()
    if args.precompute_gene:
        out = work / "gene.vep.vcf.gz"
        gene = next(g for g in genes if g.name == args.precompute_gene)
        seconds = cli("precompute", args.precompute_gene, "-o", str(out), *common)
        with gzip.open(out, "rt") as handle:
            entries = sum(1 for line in handle if not line.startswith("#"))
        rows.append((f"precompute {gene.name} ({gene.tx_end - gene.tx_start + 1} nt, all SNVs; "
                     f"{entries} lines written)", (gene.tx_end - gene.tx_start + 1) * 3, seconds))
    print(f"model {args.model}; workload: {variants} SNVs in {records} records over "
          f"{len(picked)} chr20 genes ({args.bp} bp each); work dir {work}")
    print("| run | variants | seconds | variants/s |\n|---|---|---|---|")
    for name, n, seconds in rows:
        print(f"| {name} | {n} | {seconds:.1f} | {n / seconds:.2f} |")
    print(f"ray output byte-identical to local: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
