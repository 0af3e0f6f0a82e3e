"""Benchmark of the inference engine (issue 3): reference path vs engine vs the original tool.

On the same inputs, in one run, it times
  (a) the ``delta`` scorer: 1.3.1's per-variant computation (each REF and ALT window alone) in
      our torch code,
  (b) the ``fast`` scorer (spliceannot.engine),
  (c) the original ``spliceai`` 1.3.1 CLI, when ``--spliceai-venv`` names a venv holding it,
checks that every SpliceAI string is identical, and prints variants/s, ratios and peak RSS.

Every row is one CLI process, so start-up (imports, loading five networks; TensorFlow's is ~11 s
here) is included in "end to end". Each path also runs on the workload's first record alone,
and "steady" is (n - 1) / (t_n - t_1): the per-variant rate once started. Ratios use steady
rates; end-to-end rates are printed beside them.

Workloads (GRCh37 chr20 from ../shared/data/human_grch37/chr20, ``--chr20`` to override):
  sparse  SNVs spread over chr20 genes, one per gene (each needs its own REF pass)
  dense   every SNV (3 per base) in a stretch of one gene (``--dense-bp``, the issue's 2 kb)
  indel   insertions and deletions of 1-10 bases spread over genes
(a) and (c) are slow (about 1 variant/s here), so they run on the first ``--sample`` variants;
(b) runs on the sample and on the whole workload. ``--memory`` adds the peak-RSS check at 1,000
vs 100,000 records; ``--precisions`` counts records whose strings differ from fp32.

    python benchmarks/bench_engine.py --spliceai-venv /tmp/golden/venv

The issue's whole-process comparison (24 scattered SNVs, 120 dense SNVs, both sides in one go;
"end-to-end vs (c)" is the original's seconds per variant over ours, start-up included):

    python benchmarks/bench_engine.py --spliceai-venv /work/tfvenv --workloads sparse,dense \
        --sparse 24 --dense-bp 40 --sample 120

(a venv for the original: ``python3 -m venv V && V/bin/pip install "setuptools<81"
tensorflow-cpu==2.21.0 spliceai==1.3.1 "numpy<2.3" pyfaidx pysam pandas``)

``--launches`` instead counts, in-process, the device operations the engine dispatches per 1,000
SNVs (aten ops that compute, i.e. what a GPU would launch; views apart; host<->device
transfers apart) and the host seconds spent outside them, on two workloads of the bundled hg38
chr16 slice (``--fasta``/``--annotation`` to use others): ``dense`` = every SNV of
``--dense-bp`` bases at D=500 -M 1, ``sparse`` = one SNV per 2.5 kb of genic sequence at D=50.
Op counts are deterministic (machine load changes only the seconds); they run on the CPU, so a
GPU is not needed to see how many launches a GPU would make.

    python benchmarks/bench_engine.py --launches

``--work`` instead measures the engine against its arithmetic limit, in-process on ONE thread
(CPU seconds, which a busy machine disturbs far less than wall seconds): the multiply-adds every
convolution ran (the engine's own counter, ``ref/alt multiply-adds`` in ``--summary-json``),
this CPU's peak (the best of a few large 1-D convolutions on the same thread), and CPU seconds /
(multiply-adds / peak), on the sparse (``--sparse`` scattered chr20 SNVs, 24 by default here)
and dense (every SNV of ``--dense-bp`` bases, 40 = 120 SNVs) workloads at D=``--distance``.
Kernel choices (``measured``, and forced ``grouped`` for comparison) run interleaved, best of
``--reps``; the CPU is named from ``lscpu``.

    python benchmarks/bench_engine.py --work
"""

import argparse
import gzip
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
CHR20 = REPO.parent / "shared" / "data" / "human_grch37" / "chr20"
HEADER = "##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n" \
         "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def genes(table):
    rows = []
    with gzip.open(table, "rt") as handle:
        for line in handle:
            if not line.startswith("#"):
                f = line.split("\t")
                rows.append((f[0], int(f[3]) + 1, int(f[4])))
    return rows


def base(fasta, pos):
    import pysam

    with pysam.FastaFile(str(fasta)) as fa:
        return fa.fetch("20", pos - 1, pos).upper()


def workload(name, fasta, table, n, dense_bp, rng):
    """(pos, ref, alt) records, position-sorted."""
    import pysam

    fa = pysam.FastaFile(str(fasta))
    rows = [g for g in genes(table) if g[2] - g[1] > 20_000]
    out = []
    if name == "dense":
        _, start, end = rows[len(rows) // 2]
        first = (start + end) // 2
        for pos in range(first, first + dense_bp):
            ref = fa.fetch("20", pos - 1, pos).upper()
            out += [(pos, ref, alt) for alt in "ACGT" if alt != ref and ref in "ACGT"]
    else:
        for _, start, end in rng.sample(rows, min(n, len(rows))):
            pos = rng.randint(start + 100, end - 100)
            ref = fa.fetch("20", pos - 1, pos + 10).upper()
            if "N" in ref:
                continue
            if name == "sparse":
                out.append((pos, ref[0], rng.choice([b for b in "ACGT" if b != ref[0]])))
            elif rng.random() < 0.5:
                k = rng.randint(1, 10)
                out.append((pos, ref[:k + 1], ref[0]))
            else:
                ins = "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 10)))
                out.append((pos, ref[0], ref[0] + ins))
    fa.close()
    return sorted(out)


def write_vcf(path, records):
    with open(path, "w") as handle:
        handle.write(HEADER)
        for i, (pos, ref, alt) in enumerate(records):
            handle.write(f"20\t{pos}\tv{i}\t{ref}\t{alt}\t.\t.\t.\n")


def run(cmd, env=None):
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    err = proc.stderr.read().decode()
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(map(str, cmd))}\n{err[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def strings(path):
    out = []
    for line in open(path):
        if not line.startswith("#"):
            info = line.rstrip("\n").split("\t")[7]
            fields = dict(kv.split("=", 1) for kv in info.split(";") if "=" in kv)
            out.append(fields.get("SpliceAI", "."))
    return out


def ours(vcf, out, scorer, args, fasta, table, precision=None, model="spliceai"):
    cmd = [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out), "-R", str(fasta),
           "-A", str(table), "-D", str(args.distance), "--scorer", scorer, "-q",
           "--chunk-size", str(args.chunk_size), "--batch-size", str(args.batch_size),
           "--precision", precision or args.precision, "--model", model]
    if model != "spliceai":
        cmd += ["--plugins-dir", str(REPO / "tests" / "data" / "plugins")]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    return run(cmd)


def original(vcf, out, args, fasta, table):
    exe = pathlib.Path(args.spliceai_venv) / "bin" / "spliceai"
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
        env["TF_NUM_INTRAOP_THREADS"] = str(args.threads)
    plain = pathlib.Path(out).parent / "chr20_plain.fa"
    if not plain.exists():  # pyfaidx in 1.3.1 wants a plain FASTA
        import pysam

        with pysam.FastaFile(str(fasta)) as fa, open(plain, "w") as handle:
            handle.write(">20\n" + fa.fetch("20") + "\n")
    return run([str(exe), "-I", str(vcf), "-O", str(out), "-R", str(plain), "-A", str(table),
                "-D", str(args.distance)], env=env)


def memory_check(tmp, args, fasta, table):
    """Peak RSS of ``fast`` on 1,000 and 100,000 genic records: every SNV of consecutive bases
    inside chr20 genes, scored with the 80-nt test model (tests/data/plugins) so that 100,000
    model calls fit in minutes; the streaming, batching and writing are the real ones."""
    import pysam

    fa = pysam.FastaFile(str(fasta))
    rows = sorted((g for g in genes(table) if g[2] - g[1] > 40_000), key=lambda g: g[1])
    records = []
    for _, start, end in rows:
        seq = fa.fetch("20", start + 199, end - 200).upper()
        for i, ref in enumerate(seq):
            if ref in "ACGT":
                records += [(start + 200 + i, ref, alt) for alt in "ACGT" if alt != ref]
            if len(records) >= 100_000:
                break
        if len(records) >= 100_000:
            break
    fa.close()
    out = []
    for n in (1_000, 100_000):
        vcf = tmp / f"genic_{n}.vcf"
        write_vcf(vcf, sorted(records[:n]))
        seconds, rss = ours(vcf, tmp / f"genic_{n}.out.vcf", "fast", args, fasta, table,
                            model="tiny-dir")
        out.append((n, seconds, rss, len(strings(tmp / f"genic_{n}.out.vcf"))))
    return out


def timed(runner, vcfs, n):
    """(seconds, rss, steady variants/s) of one path on the 1-record and n-record VCFs."""
    t1, _ = runner(vcfs[0], "1")
    tn, rss = runner(vcfs[1], "n")
    steady = (n - 1) / (tn - t1) if n > 1 and tn > t1 else float("nan")
    return tn, rss, steady, t1


# ---- --launches: device operations per 1,000 SNVs ----------------------------------------------

CHR16_FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
CHR16_TABLE = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"


class OpCounter:
    """Counts aten ops dispatched (compute ops and views apart) and the seconds inside them,
    plus host<->device transfers (``Engine._upload``/``_download`` or ``Tensor.cpu``)."""

    def __init__(self, compute=True):
        import torch
        from torch.overrides import TorchFunctionMode
        from torch.utils._python_dispatch import TorchDispatchMode

        counter = self
        self.ops, self.views, self.transfers, self.op_seconds = 0, 0, 0, 0.0
        self.by_name = {}

        class Dispatch(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                started = time.perf_counter()
                if compute or func.is_view:
                    out = func(*args, **(kwargs or {}))
                else:
                    out = shape_only(func, args, kwargs or {})
                counter.op_seconds += time.perf_counter() - started
                if func.is_view:
                    counter.views += 1
                else:
                    counter.ops += 1
                    name = func.__name__
                    counter.by_name[name] = counter.by_name.get(name, 0) + 1
                return out

        class Function(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                if func in (torch.Tensor.cpu, torch.Tensor.numpy):
                    counter.transfers += func is torch.Tensor.cpu
                return func(*args, **(kwargs or {}))

        self.modes = (Function(), Dispatch())

    def __enter__(self):
        for m in self.modes:
            m.__enter__()
        return self

    def __exit__(self, *exc):
        for m in reversed(self.modes):
            m.__exit__(*exc)


def shape_only(func, args, kwargs):
    """What ``--launches`` runs instead of a compute op: the op on meta tensors (shapes and
    strides only), its outputs allocated and left unset; an in-place op returns its target.
    The engine takes the same path whatever the values, so the counts are exact; only the
    values are lost (and no memory is touched, so counting a workload takes seconds)."""
    import torch
    from torch.utils._pytree import tree_map

    for i, arg in enumerate(func._schema.arguments):
        if arg.alias_info is not None and arg.alias_info.is_write:
            return kwargs[arg.name] if arg.kwarg_only or arg.name in kwargs else args[i]

    def meta(t):
        if isinstance(t, torch.Tensor):
            return torch.empty_strided(t.shape, t.stride(), dtype=t.dtype, device="meta")
        return t

    def real(t):
        if isinstance(t, torch.Tensor) and t.device.type == "meta":
            return torch.empty_strided(t.shape, t.stride(), dtype=t.dtype)
        return t

    return tree_map(real, func(*tree_map(meta, args), **tree_map(meta, kwargs)))


def launch_workload(kind, reference, genes, contig, dense_bp, sparse):
    """Variants: ``dense`` every SNV (3 ALTs per record) of ``dense_bp`` bases from the middle of
    the longest gene; ``sparse`` one SNV per 2.5 kb of genic sequence, at most ``sparse``."""
    from spliceannot.io.variant import Variant

    rng = random.Random(7)
    seq = reference.fetch(contig, 0, reference.length(contig)).upper()
    on = [g for g in genes.genes if g.chrom == contig]
    out = []
    if kind == "dense":
        g = max(on, key=lambda g: g.tx_end - g.tx_start)
        start = (g.tx_start + g.tx_end) // 2
        for pos in range(start, start + dense_bp):
            ref = seq[pos - 1]
            if ref in "ACGT":
                out.append(Variant(contig, pos, ref, [b for b in "ACGT" if b != ref]))
        return out
    last = -10**9
    for lo, hi in sorted((g.tx_start + 6000, g.tx_end - 200) for g in on):
        for pos in range(max(lo, last + 2500, 6000), min(hi, len(seq) - 6000), 2500):
            if seq[pos - 1] in "ACGT":
                out.append(Variant(contig, pos, seq[pos - 1],
                                   [rng.choice([b for b in "ACGT" if b != seq[pos - 1]])]))
                last = pos
    return out[:sparse]


def launches(args):
    """Device operations and host seconds per 1,000 SNVs of the engine, dense and sparse."""
    import torch

    from spliceannot import delta, registry
    from spliceannot.engine import Engine
    from spliceannot.engine.inference import InferenceNet
    from spliceannot.io.reference import Reference

    if args.threads:
        torch.set_num_threads(args.threads)
    model = registry.models().get(args.model)
    reference, genes = Reference(args.fasta), registry.load_annotation(args.annotation)
    contig = args.contig or genes.genes[0].chrom
    engine = Engine(model, batch_size=args.batch_size, track_positions=args.track_positions,
                    device=args.device)
    print(f"# engine launches: model {args.model} ({len(engine.nets)} members), batch "
          f"{args.batch_size}, track positions {engine.track_positions}, chunk {args.chunk_size} "
          f"records, {torch.get_num_threads()} threads, exact {engine.exact}, ops "
          f"{'computed' if args.compute else 'dispatched and counted, shapes only'}")
    print("| workload | SNVs | passes (all runners) | compute ops / 1k SNVs | view ops / 1k SNVs "
          "| host<->device transfers / 1k SNVs | top ops / 1k SNVs | seconds / 1k SNVs | in ops | "
          "host outside ops |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in args.workloads.split(","):
        distance, mask = (500, True) if kind == "dense" else (50, False)
        settings = delta.Settings(distance=distance, mask=mask)
        variants = launch_workload(kind, reference, genes, contig, args.dense_bp, args.sparse)
        chunk = args.chunk_size if kind == "dense" else len(variants)
        with OpCounter(compute=args.compute):  # warm-up
            engine.predict([t for v in variants[:1] for t in delta.plan(
                v, reference, genes, model.context, settings).tasks()])
        counter, snvs, seconds = OpCounter(compute=args.compute), 0, 0.0
        passes = {"ref": 0, "alt": 0}
        alt_pass, forward = Engine._alt_pass, InferenceNet.forward

        def counted_alt(self, *a, **kw):
            passes["alt"] += 1
            return alt_pass(self, *a, **kw)

        def counted_forward(self, x, keep=False):
            passes["ref"] += keep
            return forward(self, x, keep)

        upload = Engine._upload

        def counted_upload(self, array):
            counter.transfers += 1
            return upload(self, array)

        Engine._alt_pass, InferenceNet.forward = counted_alt, counted_forward
        Engine._upload = counted_upload
        for i in range(0, len(variants), chunk):
            tasks = [t for v in variants[i:i + chunk]
                     for t in delta.plan(v, reference, genes, model.context, settings).tasks()]
            snvs += sum(len(v.alts) for v in variants[i:i + chunk])
            started = time.perf_counter()
            with counter:
                engine.predict(tasks)
                if engine.device.type == "cuda":
                    torch.cuda.synchronize()
            seconds += time.perf_counter() - started
        Engine._alt_pass, InferenceNet.forward, Engine._upload = alt_pass, forward, upload
        k = 1000 / snvs
        top = sorted(counter.by_name.items(), key=lambda kv: -kv[1])[:4]
        print(f"| {kind} D={distance} M={int(mask)} | {snvs} | {passes['ref']} REF, "
              f"{passes['alt']} ALT | {counter.ops * k:.0f} | "
              f"{counter.views * k:.0f} | {counter.transfers * k:.1f} | "
              f"{', '.join(f'{n} {c * k:.0f}' for n, c in top)} | {seconds * k:.1f} | "
              f"{counter.op_seconds * k:.1f} | {(seconds - counter.op_seconds) * k:.2f} |",
              flush=True)
    reference.close()


# ---- --work: CPU seconds against the arithmetic limit ---------------------------------------------


def cpu_name() -> str:
    """``lscpu``'s model name, family/model/stepping and the SIMD flags that set the peak."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown CPU (lscpu failed)"
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    get = lambda k: fields.get(k, "?").strip()  # noqa: E731
    flags = set(get("Flags").split())
    simd = [f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    return (f"{get('Model name')} (vendor {get('Vendor ID')}, family {get('CPU family')}, model "
            f"{get('Model')}, stepping {get('Stepping')}; {get('CPU(s)')} CPUs; "
            f"{' '.join(simd)})")


def peak_macs(reps=5):
    """(multiply-adds per CPU second, shape) of the best of a few large channels-last 1-D
    convolutions (valid, fp32) on this thread: what the engine's kernels run at their best."""
    import torch
    import torch.nn.functional as F

    best = (0.0, "")
    for cin, k, n in ((32, 11, 16384), (64, 11, 8192), (128, 3, 8192)):
        x = torch.rand(2, cin, 1, n + k - 1).contiguous(memory_format=torch.channels_last)
        w = torch.rand(cin, cin, 1, k).contiguous(memory_format=torch.channels_last)
        F.conv2d(x, w)
        seconds = float("inf")
        for _ in range(reps):
            started = time.process_time()
            F.conv2d(x, w)
            seconds = min(seconds, time.process_time() - started)
        rate = 2 * n * cin * cin * k / seconds
        if rate > best[0]:
            best = (rate, f"{cin}->{cin} ch, kernel {k}, 2 x {n} outputs")
    return best


def work(args):
    """The engine's CPU seconds on one thread vs its multiply-adds at this CPU's peak."""
    import numpy as np
    import torch

    from spliceannot import delta, registry
    from spliceannot.engine import Engine
    from spliceannot.io.reference import Reference
    from spliceannot.io.variant import Variant

    torch.set_num_threads(1)
    # kernel choices timed afresh on this machine now, not read from an earlier (busier) run
    os.environ["SPLICEANNOT_CACHE"] = tempfile.mkdtemp(prefix="bench_kernels_")
    chr20 = pathlib.Path(args.chr20)
    fasta, table = chr20 / "20.fa.gz", chr20 / "spliceai_grch37_chr20.txt.gz"
    rng = random.Random(args.seed)
    model = registry.models().get("spliceai")
    reference, annotation = Reference(str(fasta)), registry.load_annotation(str(table))
    rate, shape = peak_macs()
    print(f"# CPU: {cpu_name()}")
    print(f"# torch {torch.__version__}, 1 thread, OMP_WAIT_POLICY="
          f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}, D={args.distance}, batch "
          f"{args.batch_size}, best of {args.reps} interleaved runs (CPU seconds)")
    print(f"# measured peak: {rate / 1e9:.1f} GMAC/s ({shape})")
    engines = {}
    for mode in args.kernels.split(","):
        os.environ["SPLICEANNOT_KERNELS"] = mode
        engine = Engine(model, batch_size=args.batch_size)
        how = (f"{len(engine.runners)} networks one by one" if len(engine.runners) > 1 else
               "stacked, per-member layers: " + str(sum(c.per_member for c in
                                                          engine.runners[0].convs())))
        engines[mode] = (engine, how)
    os.environ.pop("SPLICEANNOT_KERNELS", None)
    print("| workload | SNVs | kernels | CPU s | REF GMAC | ALT GMAC | GMAC/SNV | achieved GMAC/s "
          "| % of peak | arithmetic limit s | CPU s / limit | identical |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    sizes = {"sparse": args.sparse, "dense": 0}
    ok = True
    for name in args.workloads.split(","):
        records = workload(name, fasta, table, sizes[name], args.dense_bp, rng)
        variants = [Variant("20", pos, ref, [alt]) for pos, ref, alt in records]
        settings = delta.Settings(distance=args.distance)
        tasks = [t for v in variants
                 for t in delta.plan(v, reference, annotation, model.context, settings).tasks()]
        best, macs, outs = {}, {}, {}
        for mode, (engine, _) in engines.items():
            engine.predict(tasks[:1])  # warm-up: weight reorders, allocator
        for _ in range(args.reps):
            for mode, (engine, _) in engines.items():
                before = dict(engine.stats)
                started = time.process_time()
                outs[mode] = engine.predict(tasks)
                seconds = time.process_time() - started
                best[mode] = min(best.get(mode, float("inf")), seconds)
                macs[mode] = tuple(engine.stats[k] - before.get(k, 0)
                                   for k in ("ref multiply-adds", "alt multiply-adds"))
        first = next(iter(outs.values()))
        for mode, (engine, how) in engines.items():
            same = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                       for a, b in zip(first, outs[mode]))
            ok &= same
            ref, alt = macs[mode]
            total, seconds = ref + alt, best[mode]
            limit = total / rate
            print(f"| {name} | {len(variants)} | {mode} ({how}) | {seconds:.2f} | {ref / 1e9:.1f} "
                  f"| {alt / 1e9:.1f} | {total / 1e9 / len(variants):.2f} | "
                  f"{total / seconds / 1e9:.1f} | {100 * total / seconds / rate:.0f}% | "
                  f"{limit:.2f} | {seconds / limit:.2f}x | {'yes' if same else 'NO'} |",
                  flush=True)
    reference.close()
    sys.exit(0 if ok else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--launches", action="store_true", help="count device operations per 1,000 "
                    "SNVs in-process (dense D=500 M=1, sparse D=50) instead of timing CLI runs")
    ap.add_argument("--fasta", default=str(CHR16_FASTA), help="--launches: reference FASTA")
    ap.add_argument("--annotation", default=str(CHR16_TABLE), help="--launches: gene table")
    ap.add_argument("--contig", default=None, help="--launches: contig (default the table's first)")
    ap.add_argument("--model", default="spliceai", help="--launches: model name")
    ap.add_argument("--device", default="cpu", help="--launches: engine device (cpu, cuda)")
    ap.add_argument("--compute", action="store_true", help="--launches: compute every op "
                    "(default: each dispatched and counted, run on meta tensors, outputs left "
                    "unset: the same counts in seconds)")
    ap.add_argument("--track-positions", type=int, default=40_000,
                    help="--launches: engine track batch size in positions (the CPU default)")
    ap.add_argument("--chr20", default=str(CHR20))
    ap.add_argument("--spliceai-venv", help="venv holding the original spliceai 1.3.1")
    ap.add_argument("--sparse", type=int, default=40, help="sparse workload size")
    ap.add_argument("--indels", type=int, default=40, help="indel workload size")
    ap.add_argument("--dense-bp", type=int, default=None, help="dense stretch (3 SNVs per base)")
    ap.add_argument("--sample", type=int, default=16, help="variants run by (a) and (c)")
    ap.add_argument("--distance", type=int, default=50)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None, help="default 16 (--launches 256)")
    ap.add_argument("--chunk-size", type=int, default=512)
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--workloads", default="sparse,dense,indel")
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--precisions", default="", help="e.g. bf16,fp16: records differing from fp32 "
                    "on each workload's sample")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--work", action="store_true", help="CPU seconds on one thread vs the "
                    "arithmetic limit (multiply-adds / measured peak), sparse and dense")
    ap.add_argument("--kernels", default="measure,grouped", help="--work: kernel choices to "
                    "compare (measure, grouped, split, members)")
    ap.add_argument("--reps", type=int, default=3, help="--work: interleaved repetitions")
    args = ap.parse_args()
    if args.work:
        args.batch_size = args.batch_size or 16
        args.dense_bp = args.dense_bp or 40
        if args.sparse == 40:
            args.sparse = 24
        if args.workloads == "sparse,dense,indel":
            args.workloads = "sparse,dense"
        return work(args)
    if args.launches:
        args.batch_size = args.batch_size or 256  # the H200 run's batch
        args.dense_bp = args.dense_bp or 512
        if args.workloads == "sparse,dense,indel":
            args.workloads = "dense,sparse"
        return launches(args)
    args.batch_size = args.batch_size or 16
    args.dense_bp = args.dense_bp or 2000
    chr20 = pathlib.Path(args.chr20)
    fasta, table = chr20 / "20.fa.gz", chr20 / "spliceai_grch37_chr20.txt.gz"
    rng = random.Random(args.seed)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_engine_"))
    print(f"# {os.cpu_count()} CPUs, threads={args.threads or 'default'}, D={args.distance}, "
          f"precision={args.precision}, batch {args.batch_size}, temp {tmp}")
    print(f"# CPU: {cpu_name()}")
    print("| workload | variants | path | seconds | end-to-end var/s | end-to-end vs (c) | "
          "1-record run s | steady var/s | steady vs (c) | steady vs (a) | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    sizes = {"sparse": args.sparse, "indel": args.indels, "dense": 0}
    all_same = True
    for name in args.workloads.split(","):
        records = workload(name, fasta, table, sizes[name], args.dense_bp, rng)
        sample = records[:args.sample]
        for label, recs in (("1", sample[:1]), ("n", sample), ("full", records)):
            write_vcf(tmp / f"{name}_{label}.vcf", recs)
        vcfs = (tmp / f"{name}_1.vcf", tmp / f"{name}_n.vcf")
        paths = {"(a) delta": lambda v, tag: ours(v, tmp / f"{name}_a{tag}.vcf", "delta", args,
                                                    fasta, table),
                 "(b) fast": lambda v, tag: ours(v, tmp / f"{name}_b{tag}.vcf", "fast", args,
                                                   fasta, table)}
        if args.spliceai_venv:
            paths["(c) spliceai 1.3.1"] = lambda v, tag: original(v, tmp / f"{name}_c{tag}.vcf",
                                                                   args, fasta, table)
        rows = {label: timed(runner, vcfs, len(sample)) for label, runner in paths.items()}
        outs = {label: strings(tmp / f"{name}_{label[1]}n.vcf") for label in rows}
        same = all(o == outs["(a) delta"] for o in outs.values())
        a_steady = rows["(a) delta"][2]
        c_steady = rows["(c) spliceai 1.3.1"][2] if args.spliceai_venv else None

        # whole process, start-up included: the original's seconds on the sample / ours
        c_whole = rows["(c) spliceai 1.3.1"][0] / len(sample) if args.spliceai_venv else None

        def line(count, path, seconds, rss, steady, t1):
            vs_c = f"{steady / c_steady:.1f}x" if c_steady else "-"
            whole = f"{c_whole / (seconds / count):.1f}x" if c_whole else "-"
            print(f"| {name} | {count} | {path} | {seconds:.1f} | {count / seconds:.2f} | "
                  f"{whole} | {t1:.1f} | {steady:.2f} | {vs_c} | {steady / a_steady:.1f}x | "
                  f"{rss:.0f} |")

        for path, (seconds, rss, steady, t1) in rows.items():
            line(len(sample), path, seconds, rss, steady, t1)
        if len(records) > len(sample):
            seconds, rss = ours(tmp / f"{name}_full.vcf", tmp / f"{name}_full_b.vcf", "fast", args,
                                fasta, table)
            t1 = rows["(b) fast"][3]
            line(len(records), "(b) fast, whole workload", seconds, rss,
                 (len(records) - 1) / (seconds - t1), t1)
            whole = strings(tmp / f"{name}_full_b.vcf")[:len(sample)]
            same &= whole == outs["(a) delta"]
        all_same &= same
        print(f"| {name} | | outputs identical: {'yes' if same else 'NO'} ||||||||")
        for precision in filter(None, args.precisions.split(",")):
            ours(vcfs[1], tmp / f"{name}_{precision}.vcf", "fast", args, fasta, table, precision)
            low = strings(tmp / f"{name}_{precision}.vcf")
            scored = [i for i, o in enumerate(outs["(b) fast"]) if o != "."]
            differ = sum(low[i] != outs["(b) fast"][i] for i in scored)
            print(f"| {name} | {len(scored)} | {precision}: records differing from fp32 | "
                  f"{differ} ({100 * differ / max(len(scored), 1):.1f}%) ||||||||")
    if args.memory:
        print("\n| records (genic SNVs, 80-nt test model) | scored | seconds | peak RSS MiB |")
        print("|---|---|---|---|")
        for n, seconds, rss, scored in memory_check(tmp, args, fasta, table):
            print(f"| {n} | {scored} | {seconds:.1f} | {rss:.0f} |")
    sys.exit(0 if all_same else 1)


if __name__ == "__main__":
    main()
