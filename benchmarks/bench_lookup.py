"""Stored-score lookups at scale: ``score --precomputed`` vs ``bcftools annotate``, side by side.

Makes its own case with made-up scores (nothing downloaded): a synthetic genome, a gene table
whose genes cover the first part of it, and an Illumina-style precomputed file (no spliceannot
header; three SNV lines for every base inside a gene, ``ALT|GENE|DS x4|DP x4``), bgzipped and
tabix-indexed. Cases:

- ``dense``: 100k SNVs, 90% of them hits, against a file of 500k+ lines; the other 10% lie
  outside every gene (they pass through: no model runs, so bcftools' output is comparable);
- ``sparse``: 2,000 SNVs (all hits) against a 20M-line file;
- ``wgs``: 5M records shaped like a genome (most outside genes, ~2% hits) to ``.vcf.gz``, with
  peak RSS; also ``bcftools view`` for the pass-through floor.

For each case it prints records/s of ``bcftools annotate -a pre.vcf.gz -c INFO/SpliceAI``, of
``bcftools view`` and of ``spliceannot score --precomputed`` (whole process, and the run time the
summary reports, without Python's start-up), their ratio, peak RSS, and whether every record came
through with the same ``SpliceAI=`` values as bcftools gave. Generated files are kept in
``--work`` and reused. Needs ``bcftools``, ``bgzip`` and ``tabix`` on PATH.

    PYTHONPATH=. python benchmarks/bench_lookup.py                 # all three cases
    PYTHONPATH=. python benchmarks/bench_lookup.py --quick         # a tiny dry run
    PYTHONPATH=. python benchmarks/bench_lookup.py --cases dense,sparse --work /tmp/bl

The run uses ``--model spliceai``, which takes the headerless file as 1.3.1's (-D 50 -M 0, as
it is named ``.raw.``); the wheel's weights are read once, untimed, for the model digest, which
is then kept by file stat in ``WORK/cache`` (a run answered from stored scores reads no weights).
``--model tiny-dir`` (the test plugin's model, with ``--precomputed-trust``) needs no wheel but
computes its digest from its parameters on every run (torch's import included).
"""

import argparse
import gzip
import json
import os
import pathlib
import random
import resource
import shutil
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
PLUGINS = REPO / "tests" / "data" / "plugins"
BASES = "ACGT"
GENE_LEN, GENE_GAP, FIRST = 90_000, 30_000, 20_000  # genes away from the contig's start

SIZES = {  # case: (records, precomputed lines, contig length)
    "full": {"dense": (100_000, 510_000), "sparse": (2_000, 20_000_000), "wgs": 5_000_000,
             "genome": 64_000_000},
    "quick": {"dense": (2_000, 12_000), "sparse": (200, 60_000), "wgs": 20_000,
              "genome": 400_000},
}


def genes_covering(lines: int):
    """Gene spans (1-based, inclusive) whose bases give ``lines`` SNV lines (three per base)."""
    spans, need, start, i = [], (lines + 2) // 3, FIRST, 0
    while need > 0:
        length = min(GENE_LEN, need)
        spans.append((f"GENE{i:05d}", "+-"[i % 2], start, start + length - 1))
        need -= length
        start += GENE_LEN + GENE_GAP
        i += 1
    return spans


def make_genome(work, length):
    fa = work / "genome.fa"
    if fa.exists():
        return fa
    import numpy as np

    rng = np.random.default_rng(1)
    seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes()
    with open(f"{fa}.tmp", "wb") as out:
        out.write(b">chr1\n")
        for i in range(0, length, 60):
            out.write(seq[i:i + 60] + b"\n")
    os.replace(f"{fa}.tmp", fa)
    subprocess.run(["samtools", "faidx", str(fa)] if shutil.which("samtools") else
                   [sys.executable, "-c", f"import pysam; pysam.faidx({str(fa)!r})"], check=True)
    return fa


def genome_seq(fa):
    import pysam

    with pysam.FastaFile(str(fa)) as f:
        return f.fetch("chr1")


def make_table(path, spans):
    with open(path, "w") as out:
        out.write("#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END\n")
        for name, strand, start, end in spans:
            third = (end - start) // 3  # three exons per gene
            starts = [start - 1, start + third, end - third]
            ends = [start + third // 2, start + third + third // 2, end]
            out.write(f"{name}\tchr1\t{strand}\t{start - 1}\t{end}\t"
                      f"{','.join(map(str, starts))},\t{','.join(map(str, ends))},\n")


HEADER = ("##fileformat=VCFv4.2\n##contig=<ID=chr1,length={length}>\n"
          '##INFO=<ID=SpliceAI,Number=.,Type=String,Description="SpliceAIv1.3.1 variant '
          "annotation. These include delta scores (DS) and delta positions (DP) for acceptor gain "
          "(AG), acceptor loss (AL), donor gain (DG), and donor loss (DL). Format: ALLELE|SYMBOL|"
          'DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL">\n'
          "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")


def make_precomputed(path, spans, seq, length):
    """Three lines per gene base, made-up scores; bgzip (threads) and tabix."""
    if pathlib.Path(str(path) + ".tbi").exists():
        return path
    import numpy as np

    rng = np.random.default_rng(2)
    ds = np.array([f"{v / 100:.2f}" for v in range(101)])
    p_ds = np.array([50] + [10] * 10 + [1] * 90, dtype=float)
    p_ds /= p_ds.sum()  # mostly 0.00, a few high
    plain = str(path)[:-3]
    with open(plain, "w") as out:
        out.write(HEADER.format(length=length))
        for name, _strand, start, end in spans:
            for lo in range(start, end + 1, 10000):
                hi = min(lo + 10000, end + 1)
                n = (hi - lo) * 3
                d = ds[rng.choice(101, size=(n, 4), p=p_ds)]
                dp = rng.integers(-50, 51, size=(n, 4))
                rows = [(pos, seq[pos - 1], alt) for pos in range(lo, hi)
                        for alt in BASES if alt != seq[pos - 1]]
                out.write("".join(
                    f"chr1\t{pos}\t.\t{ref}\t{alt}\t.\t.\tSpliceAI={alt}|{name}|"
                    f"{a}|{b}|{c}|{e}|{w}|{x}|{y}|{z}\n"
                    for (pos, ref, alt), (a, b, c, e), (w, x, y, z)
                    in zip(rows, d.tolist(), dp.tolist())))
    subprocess.run(["bgzip", "-f", "-@", str(os.cpu_count() or 1), plain], check=True)
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)
    return path


def write_vcf(path, records, length):
    """``path`` bgzipped and indexed (bcftools annotate reads an indexed input)."""
    plain = str(path)[:-3]
    with open(plain, "w") as out:
        out.write("##fileformat=VCFv4.2\n")
        out.write(f"##contig=<ID=chr1,length={length}>\n")
        out.write('##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">\n')
        out.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
        for i, (pos, ref, alt) in enumerate(sorted(records)):
            out.write(f"chr1\t{pos}\trs{i}\t{ref}\t{alt}\t50\tPASS\tDP={10 + i % 50}\tGT\t0/1\n")
    subprocess.run(["bgzip", "-f", "-@", str(os.cpu_count() or 1), plain], check=True)
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)


def snv(seq, pos, rng):
    ref = seq[pos - 1]
    return pos, ref, rng.choice([b for b in BASES if b != ref])


def covered_at(spans, k):
    """The k-th base (0-based) the genes cover, in order."""
    for _name, _strand, start, end in spans:
        if k <= end - start:
            return start + k
        k -= end - start + 1
    raise IndexError(k)


def outside(spans, length, rng):
    """A position past every gene (and away from the contig's end)."""
    return rng.randint(spans[-1][3] + 10_000, length - FIRST)


def case_input(work, name, seq, spans, size, length, rng):
    path = work / f"{name}.vcf.gz"
    if path.exists():
        return path
    n, lines = size
    covered = sum(end - start + 1 for _n, _s, start, end in spans)
    hits = n * 9 // 10 if name == "dense" else n
    records = [snv(seq, covered_at(spans, k), rng) for k in rng.sample(range(covered), hits)]
    records += [snv(seq, outside(spans, length, rng), rng) for _ in range(n - hits)]
    write_vcf(path, records, length)
    return path


def wgs_input(work, seq, spans, n, length, rng):
    """``n`` records over the whole contig, most outside genes: 2% SNVs in genes (hits), the
    rest SNVs and short deletions past them."""
    path = work / "wgs.vcf.gz"
    if path.exists():
        return path
    covered = sum(end - start + 1 for _n, _s, start, end in spans)
    records = [snv(seq, covered_at(spans, k), rng) for k in rng.sample(range(covered), n // 50)]
    for _ in range(n - len(records)):
        pos = outside(spans, length, rng)
        if rng.random() < 0.1:
            records.append((pos, seq[pos - 1:pos + 1], seq[pos - 1]))
        else:
            records.append(snv(seq, pos, rng))
    write_vcf(path, records, length)
    return path


def timed(cmd, env=None):
    """(wall seconds, peak RSS in MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(map(str, cmd))}")
    return wall, usage.ru_maxrss / 1024


def values(path):
    """Per record: (CHROM, POS, REF, ALT, the SpliceAI= value or None)."""
    out = []
    with (gzip.open if str(path).endswith(".gz") else open)(path, "rt") as f:
        for line in f:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            found = None
            for item in fields[7].split(";"):
                if item.startswith("SpliceAI="):
                    found = item[len("SpliceAI="):]
            out.append((fields[0], fields[1], fields[3], fields[4], found))
    return out


def spliceannot_cmd(args, vcf, out, fa, table, pre, summary):
    cmd = [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out), "-R", str(fa),
           "-A", str(table), "--precomputed", str(pre), "-q", "--summary-json", str(summary),
           "--model", args.model]
    if args.model != "spliceai":
        cmd += ["--plugins-dir", str(PLUGINS), "--precomputed-trust"]
    return cmd + args.extra


def env(args):
    return {**os.environ, "SPLICEANNOT_CACHE_DIR": str(args.work / "cache"),
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def run_case(args, name, vcf, fa, table, pre, suffix):
    work = args.work
    n = sum(1 for line in gzip.open(vcf, "rt") if not line.startswith("#"))
    fmt = "z" if suffix.endswith(".gz") else "v"
    b_out, v_out, s_out = (work / f"{name}.{who}{suffix}" for who in ("bcftools", "view", "ours"))
    b_wall, b_rss = timed(["bcftools", "annotate", "-a", str(pre), "-c", "INFO/SpliceAI",
                           "-O", fmt, "-o", str(b_out), str(vcf)])
    v_wall, _ = timed(["bcftools", "view", "-O", fmt, "-o", str(v_out), str(vcf)])
    summary = work / f"{name}.summary.json"
    s_wall, s_rss = timed(spliceannot_cmd(args, vcf, s_out, fa, table, pre, summary), env(args))
    s = json.load(open(summary))
    ours, theirs = values(s_out), values(b_out)
    same = ours == theirs
    hits = sum(v[4] is not None for v in ours)
    print(f"{name:<7} {suffix:<7} {n:>9,} {hits:>9,} {n / b_wall:>13,.0f} {n / v_wall:>13,.0f} "
          f"{n / s_wall:>13,.0f} {n / s['seconds']:>13,.0f} {b_wall / s_wall:>7.2f} "
          f"{v_wall / s_wall:>7.2f} {b_rss:>8.0f} {s_rss:>8.0f}  "
          f"{'same' if same else 'DIFFERENT'} ({s['records_out']}/{s['records_in']} out)")
    if not same:
        diff = next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b) \
            if len(ours) == len(theirs) else min(len(ours), len(theirs))
        print(f"  first difference at record {diff}: ours "
              f"{ours[diff] if diff < len(ours) else None} bcftools "
              f"{theirs[diff] if diff < len(theirs) else None}")
    timings = {k: v for k, v in s.get("timings", {}).items() if "precomputed" in k}
    print(f"        {timings}")
    return same


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a dry run")
    parser.add_argument("--cases", default="dense,sparse,wgs")
    parser.add_argument("--work", type=pathlib.Path, default=None,
                        help="where generated files are kept (default: a dir in /tmp)")
    parser.add_argument("--model", default="spliceai")
    parser.add_argument("extra", nargs="*", help="more spliceannot score options (after --)")
    args = parser.parse_args()
    for tool in ("bcftools", "bgzip", "tabix"):
        if shutil.which(tool) is None:
            sys.exit(f"bench_lookup needs {tool} on PATH (apt-get install bcftools tabix)")
    size = SIZES["quick" if args.quick else "full"]
    args.work = args.work or pathlib.Path(f"/tmp/spliceannot-bench-lookup-{'quick' if args.quick else 'full'}")
    args.work.mkdir(parents=True, exist_ok=True)
    cases = args.cases.split(",")
    length = size["genome"]
    fa = make_genome(args.work, length)
    seq = genome_seq(fa)
    rng = random.Random(3)
    print(f"{'case':<7} {'output':<7} {'records':>9} {'hits':>9} {'annotate r/s':>13} "
          f"{'view r/s':>13} {'ours r/s':>13} {'ours run r/s':>13} {'x annot':>7} {'x view':>7} "
          f"{'bcf MiB':>8} {'our MiB':>8}  SpliceAI= values")
    ok = True
    warm = False
    for name in cases:
        if name not in ("dense", "sparse", "wgs"):
            sys.exit(f"unknown case {name}")
        lines = size["sparse"][1] if name in ("sparse", "wgs") else size["dense"][1]
        spans = genes_covering(lines)
        tag = f"{lines}"
        table = args.work / f"genes.{tag}.txt"
        make_table(table, spans)
        # Named as Illumina names its unmasked files, so --model spliceai takes it as -M 0.
        pre = make_precomputed(args.work / f"spliceai_scores.raw.snv.{tag}.vcf.gz", spans, seq,
                               length)
        if not warm:  # the model digest, taken once and kept by file stat: not timed
            warm = True
            head = args.work / "warm.vcf"
            head.write_text(HEADER.format(length=length))
            timed(spliceannot_cmd(args, head, args.work / "warm.out.vcf", fa, table, pre,
                                  args.work / "warm.json"), env(args))
        if name == "wgs":
            vcf = wgs_input(args.work, seq, spans, size["wgs"], length, rng)
            ok &= run_case(args, name, vcf, fa, table, pre, ".vcf.gz")
        else:
            vcf = case_input(args.work, name, seq, spans, size[name], length, rng)
            ok &= run_case(args, name, vcf, fa, table, pre, ".vcf")
    print("x annot / x view: spliceannot's records/s (whole process) over bcftools'; "
          "'ours run r/s' leaves out Python's start-up and set-up (the summary's seconds)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
