"""Cost of tying scores to their genome: content digests against a 1,000-record run.

Measures, in CPU seconds (``time.process_time``) and wall seconds:

* cold: the first run on a FASTA hashes every contig in full (``samtools dict`` M5) and keeps
  the MD5s beside it; reported per GB, so a 3 GB genome's one-off cost can be read off;
* warm: what every later run pays: a stat, a small JSON read and the genome digest; plus the
  model's digest from its files' kept SHA-256s (no weights loaded);
* a ``--records`` run of ``spliceannot score`` on the bundled chr16 slice (records inside
  NM_006849, the ``spliceai`` model when installed, else the 80 nt test model), in process;

and prints the warm checks as a share of the run (the target: under 2%). The FASTA is copied to
a temporary folder first (and ``$SPLICEANNOT_CACHE_DIR`` pointed there), so "cold" is cold.

    PYTHONPATH=. python benchmarks/bench_identity.py                       # chr20 from ../shared
    PYTHONPATH=. python benchmarks/bench_identity.py --fasta /data/GRCh38.fa --records 1000
    PYTHONPATH=. python benchmarks/bench_identity.py --quick               # seconds, a smoke test
"""

import argparse
import json
import os
import pathlib
import random
import shutil
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
CHR16 = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
TABLE = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"
PLUGINS = REPO / "tests" / "data" / "plugins"
CHR20 = REPO.parent / "shared" / "data" / "human_grch37" / "chr20" / "20.fa.gz"


def timed(fn, repeat=1):
    """(result, CPU s, wall s) per call, the mean of ``repeat`` calls."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        result = fn()
    return result, (time.process_time() - cpu) / repeat, (time.perf_counter() - wall) / repeat


def copy_fasta(src: pathlib.Path, tmp: pathlib.Path) -> pathlib.Path:
    dst = tmp / src.name
    for suffix in ("", ".fai", ".gzi"):
        if pathlib.Path(str(src) + suffix).exists():
            shutil.copyfile(str(src) + suffix, str(dst) + suffix)
    return dst


def make_vcf(path, n):
    seq = "".join(l.strip() for l in open(CHR16).readlines()[1:]).upper()
    rng = random.Random(11)
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr16,length=210155>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, pos in enumerate(sorted(rng.randint(96200, 100200) for _ in range(n))):
        ref = seq[pos - 1]
        lines.append(f"chr16\t{pos}\tv{i}\t{ref}\t{'A' if ref != 'A' else 'G'}\t.\t.\t.")
    path.write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fasta", type=pathlib.Path, default=None,
                        help="the genome to hash (default: ../shared chr20, else the chr16 slice)")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--model", default=None, help="default: spliceai if installed, else tiny")
    parser.add_argument("--quick", action="store_true", help="chr16 slice, 50 records, tiny model")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.quick:
        args.fasta, args.records, args.model = CHR16, 50, "tiny-dir"
    fasta = args.fasta or (CHR20 if CHR20.exists() else CHR16)

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_identity."))
    os.environ["SPLICEANNOT_CACHE_DIR"] = str(tmp / "cache")
    sys.path.insert(0, str(REPO))
    from spliceannot import registry
    from spliceannot.io.reference import Reference
    from spliceannot.lookup import provenance
    from spliceannot.pipeline import Options, score_file
    from spliceannot.plugins import load_plugins_dir

    load_plugins_dir(str(PLUGINS))
    try:
        genome = copy_fasta(fasta, tmp)
        ref = Reference(genome)
        bases = sum(ref.lengths.values())
        _, cold_cpu, cold_wall = timed(ref.identity)
        ref.close()

        def warm():
            r = Reference(genome)
            try:
                return r.identity()
            finally:
                r.close()

        _, warm_cpu, warm_wall = timed(warm, repeat=20)
        if args.model is None:
            from importlib.metadata import PackageNotFoundError, distribution
            try:
                distribution("spliceai")
                args.model = "spliceai"
            except PackageNotFoundError:
                args.model = "tiny-dir"
        model = registry.model(args.model)
        provenance.model_digest(model)  # the first time hashes the weight files once
        registry.reset()
        load_plugins_dir(str(PLUGINS))

        def model_warm():
            fresh = registry.model(args.model)
            fresh.__dict__.pop("_spliceannot_digest", None)
            return provenance.model_digest(fresh)

        _, model_cpu, model_wall = timed(model_warm, repeat=5)

        vcf = tmp / "in.vcf"
        make_vcf(vcf, args.records)
        opts = Options(reference=str(CHR16), annotation=str(TABLE), model=args.model,
                       progress=False)
        score_file(str(vcf), str(tmp / "warmup.vcf"), opts)  # identity kept, weights read once
        summary, run_cpu, run_wall = timed(lambda: score_file(str(vcf), str(tmp / "o.vcf"), opts))
        check_cpu = warm_cpu + model_cpu
        out = {
            "fasta": str(fasta), "contigs": len(ref.lengths), "bases": bases,
            "cold_cpu_s": round(cold_cpu, 3), "cold_wall_s": round(cold_wall, 3),
            "cold_cpu_s_per_gb": round(cold_cpu / bases * 1e9, 2),
            "warm_reference_cpu_s": round(warm_cpu, 6), "warm_model_cpu_s": round(model_cpu, 6),
            "model": args.model, "records": args.records, "records_scored": summary.scored,
            "run_cpu_s": round(run_cpu, 3), "run_wall_s": round(run_wall, 3),
            "check_share_of_run": f"{100 * check_cpu / run_cpu:.3f}%",
        }
        if args.json:
            print(json.dumps(out))
        else:
            for key, value in out.items():
                print(f"{key:>24}: {value}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
