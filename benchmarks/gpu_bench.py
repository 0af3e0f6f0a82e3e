"""The GPU check, one section per call (``benchmarks/gpu.sh`` runs them all, each time-boxed).

Every section appends rows ``{"section", "item", "value", "note"}`` (JSON lines) to
``--results``; ``table`` prints them as one Markdown table. Model loads, engine builds and a
warm-up happen before any timer starts; on CUDA every timer starts and stops after a
``torch.cuda.synchronize()``. Data come from the repository only: the bundled hg38 chr16 slice
(examples/data, RefSeq table in annotations/) and tests/golden.

    python benchmarks/gpu_bench.py golden --device cuda --results r.jsonl
    python benchmarks/gpu_bench.py table --results r.jsonl

Sections:
  tests       ``pytest -m gpu`` (passed / failed / skipped)
  golden      SpliceAI strings of the engine on DEVICE vs spliceai 1.3.1's golden outputs
              (332 records, D=50/500, M=0/1), and the engine vs the per-window path on DEVICE
              (probabilities: bit-identical windows, max |diff|)
  keras       max |p - Keras| of each member on DEVICE (tests/golden/keras_probs.npz)
  throughput  SNVs/s sparse and dense, D=50 M=0 and D=500 M=1, per precision, with strings
              differing from fp32, peak GPU memory, executed MACs and the fraction of fp32 peak
  precompute  ``precompute`` of a stretch of one chr16 gene at D=500 M=1 (SNVs/s), then that
              file read back through ``--precomputed`` vs direct scoring
"""

import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
TABLE = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"
GOLDEN = REPO / "tests" / "golden"
FP32_PEAK = 67e12  # H200 fp32 (non-tensor-core) FLOP/s
PRECISIONS = ("fp32", "tf32", "bf16")


class Rows:
    def __init__(self, path, section):
        self.path, self.section = path, section

    def add(self, item, value, note=""):
        row = {"section": self.section, "item": item, "value": value, "note": note}
        print(f"  {item}: {value} {note}", flush=True)
        with open(self.path, "a") as out:
            out.write(json.dumps(row) + "\n")


# ---- shared helpers ---------------------------------------------------------------------------

def torch_mod():
    import torch

    return torch


def sync(device):
    torch = torch_mod()
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def reset_peak(device):
    torch = torch_mod()
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def peak_mib(device):
    torch = torch_mod()
    if str(device).startswith("cuda"):
        return f"{torch.cuda.max_memory_allocated() / 2**20:.0f}"
    return "n/a (cpu)"


def model():
    from spliceannot import registry

    m = registry.models().get("spliceai")
    m.networks()
    return m


class MacCounter:
    """Counts the multiply-accumulates every tiled convolution executes (useful outputs only)."""

    def __init__(self):
        from spliceannot.engine import inference

        self.macs = 0
        original = inference.Conv.__call__
        counter = self

        def counted(conv, x):
            y = original(conv, x)
            counter.macs += y.shape[0] * y.shape[1] * conv.kernel * conv.weight.shape[1] \
                * conv.weight.shape[0]
            return y

        inference.Conv.__call__ = counted


def rate(x):
    return f"{x:.0f}" if x >= 10 else f"{x:.2f}"


def strings(results):
    return [",".join(e.format() for e in r.entries) if r.reason is None else None
            for r in results]


def read_golden(distance, mask):
    out = []
    for line in open(GOLDEN / f"spliceai131_D{distance}_M{mask}.vcf"):
        if line.startswith("#"):
            continue
        info = line.rstrip("\n").split("\t")[7]
        hit = [kv[len("SpliceAI="):] for kv in info.split(";") if kv.startswith("SpliceAI=")]
        out.append(hit[0] if hit else None)
    return out


def golden_variants():
    from spliceannot.io.variant import Variant

    out = []
    for i, line in enumerate(l for l in open(GOLDEN / "chr16_variants.vcf") if l[0] != "#"):
        f = line.rstrip("\n").split("\t")
        out.append(Variant(f[0], int(f[1]), f[3], f[4].split(","), f[2], i + 1))
    return out


# ---- sections ---------------------------------------------------------------------------------

def section_tests(rows, args):
    files = sorted({str(p) for p in (REPO / "tests").rglob("test_*.py")
                    if "mark.gpu" in p.read_text()})  # collecting all tests costs minutes
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider",
           "-o", "addopts=", *files]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    print(proc.stdout[-6000:], proc.stderr[-3000:], sep="\n")
    last = [l for l in proc.stdout.splitlines() if l.strip()][-1:] or ["(no output)"]
    rows.add("pytest -m gpu", last[0].strip("= "), f"exit {proc.returncode}")


def shape_modes(device):
    """CUDA lets cuDNN see natural shapes ("free", the default, probed) or forces one shape per
    layer ("fixed", the engine's fallback), measured side by side. On a CPU there is one mode."""
    return ("free", "fixed") if str(device).startswith("cuda") else ("cpu",)


def set_mode(mode):
    """free / fixed shapes (cuDNN), or "graphs": free shapes, every REF and ALT pass replayed
    as a CUDA graph (``spliceannot.engine.graphs``)."""
    if mode == "fixed":
        os.environ["SPLICEANNOT_CUDA_SHAPES"] = "fixed"
    else:
        os.environ.pop("SPLICEANNOT_CUDA_SHAPES", None)
    if mode == "graphs":
        os.environ["SPLICEANNOT_CUDA_GRAPHS"] = "1"
    else:
        os.environ.pop("SPLICEANNOT_CUDA_GRAPHS", None)


def section_golden(rows, args):
    from spliceannot import delta, registry
    from spliceannot.engine import Engine
    from spliceannot.io.reference import Reference

    torch = torch_mod()
    m = model()
    reference, genes = Reference(str(FASTA)), registry.load_annotation(str(TABLE))
    variants = golden_variants()[:args.golden_records]
    for mode in shape_modes(args.device):
        set_mode(mode)
        engine = Engine(m, device=args.device, batch_size=args.batch_size)
        stacked = max(r.members for r in engine.runners)
        rows.add(f"[{mode}] engine exact (probe on device)", "yes" if engine.exact else "NO",
                 f"device {engine.device}; whole-window fallback {engine.whole_windows}; "
                 f"members stacked in one grouped network: "
                 f"{'yes' if stacked > 1 else 'NO (probe failed: one by one)'}")
        pw = per_window_model(m, args.device)
        for distance in (50, 500):
            settings = {k: delta.Settings(distance=distance, mask=bool(k)) for k in (0, 1)}
            plans = [delta.plan(v, reference, genes, m.context, settings[0]) for v in variants]
            items = [(t, p.variant.chrom, p.variant.pos) for p in plans for t in p.tasks()]
            sync(args.device)
            started = time.perf_counter()
            ys = engine.predict(items)
            sync(args.device)
            seconds = time.perf_counter() - started
            for mask in (0, 1):
                finished = iter([delta.finish(task, *y, settings[mask])
                                 for (task, _, _), y in zip(items, ys)])
                got = strings([p.result([next(finished) for _ in p.tasks()]) for p in plans])
                want = read_golden(distance, mask)[:len(variants)]
                same = sum(g == w for g, w in zip(got, want))
                rows.add(f"[{mode}] golden strings D={distance} M={mask}",
                         f"{same}/{len(want)} identical",
                         f"engine on {args.device}, {seconds:.1f} s for {len(items)} tasks")
            # The engine vs the per-window path on the same device, on the first tasks.
            sub = items[:args.per_window_tasks]
            equal, worst, ref_equal = 0, 0.0, 0
            with torch.inference_mode():
                for (task, _, _), (y_ref, y_alt) in zip(sub, ys):
                    w_ref = pw.predict(task.x_ref[None])[0]
                    w_alt = pw.predict(task.x_alt[None])[0]
                    ref_equal += int((y_ref == w_ref).all())
                    equal += int((y_ref == w_ref).all() and (y_alt == w_alt).all())
                    worst = max(worst, float(abs(y_ref - w_ref).max()),
                                float(abs(y_alt - w_alt).max()))
            rows.add(f"[{mode}] engine vs per-window D={distance}",
                     f"{equal}/{len(sub)} tasks bit-identical",
                     f"REF alone {ref_equal}/{len(sub)}; max |dp| {worst:.2e}")
    set_mode("free")
    reference.close()


def per_window_model(m, device):
    if str(device) == "cpu":
        return m
    other = type(m)()
    other.device = device
    other.temperatures = m.temperatures
    return other


def section_keras(rows, args):
    import numpy as np

    from spliceannot.engine.inference import InferenceNet
    from spliceannot.sequence import one_hot, reverse_complement_onehot

    torch = torch_mod()
    m = model()
    golden = np.load(GOLDEN / "keras_probs.npz")
    seq = "".join(line.strip() for line in open(FASTA).readlines()[1:])
    nets = [InferenceNet(n, torch.device(args.device)) for n in m.networks()]
    if args.device.startswith("cuda"):  # fp32 as scoring runs it: cuDNN defaults to TF32
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    worst = [0.0] * len(nets)
    for w, (centre, strand) in enumerate(zip(golden["centres"], golden["strands"])):
        x = one_hot(seq[centre - 5051:centre + 5050])
        if strand == "-":
            x = reverse_complement_onehot(x)
        xt = torch.from_numpy(np.ascontiguousarray(x))[None].to(args.device)
        with torch.inference_mode():
            for k, net in enumerate(nets):
                y = net.probs(net.forward(xt)[0])[0].float().cpu().numpy()
                worst[k] = max(worst[k], float(np.abs(y - golden["probs"][w, k]).max()))
    rows.add("max |p - Keras| (5 members)", f"{max(worst):.2e}",
             f"per member {', '.join(f'{v:.1e}' for v in worst)}; target <= 1e-5")


def workload(kind, args, reference, genes):
    """Variants (one record per position; dense: 3 SNV ALTs per record, as precompute writes)."""
    from spliceannot.io.variant import Variant

    rng = random.Random(7)
    seq = reference.fetch("chr16", 0, reference.length("chr16")).upper()
    out = []
    if kind == "sparse":
        # one SNV per 2.5 kb of genic sequence: each needs its own REF track (span 2048)
        spans = sorted((g.tx_start + 6000, g.tx_end - 200) for g in genes.genes)
        last = -10**9
        for lo, hi in spans:
            for pos in range(max(lo, last + 2500, 6000), min(hi, len(seq) - 6000), 2500):
                ref = seq[pos - 1]
                if ref in "ACGT":
                    out.append(Variant("chr16", pos, ref, [rng.choice([b for b in "ACGT"
                                                                       if b != ref])]))
                    last = pos
        return out[:args.sparse]
    # dense: every SNV of a stretch in the middle of NM_003502 (minus strand, 65 kb)
    start = 130_000
    for pos in range(start, start + args.dense_bp):
        ref = seq[pos - 1]
        if ref in "ACGT":
            out.append(Variant("chr16", pos, ref, [b for b in "ACGT" if b != ref]))
    return out


def timed_run(scorer, variants, chunk, ctx, counter, args):
    """Score ``variants`` in chunks (cycling) for ``args.seconds``, at least one chunk; returns (SNVs, seconds, executed MACs, first pass strings, timings spent)."""
    scorer.score(variants[:1], ctx)  # warm-up: engine build, probe, kernels
    reset_peak(args.device)
    before, macs0 = scorer.timings(), counter.macs
    snvs, done, got = 0, 0, []
    sync(args.device)
    started = time.perf_counter()
    while True:
        part = variants[done % len(variants):][:chunk]
        plans = scorer.score(part, ctx)
        if done < len(variants):
            got += strings(plans)
        snvs += sum(len(v.alts) for v in part)
        done += len(part)
        if time.perf_counter() - started >= args.seconds:
            break
    sync(args.device)
    seconds = time.perf_counter() - started
    spent = {k: v - before.get(k, 0) for k, v in scorer.timings().items()}
    return snvs, seconds, counter.macs - macs0, got, spent


def section_throughput(rows, args):
    from spliceannot import delta, registry
    from spliceannot.io.reference import Reference
    from spliceannot.scorer import ScoringContext
    from spliceannot.pipeline import Options

    m = model()
    counter = MacCounter()
    reference, genes = Reference(str(FASTA)), registry.load_annotation(str(TABLE))
    fast = type(registry.scorers().get("fast"))
    for kind in args.workloads.split(","):
        variants = workload(kind, args, reference, genes)
        chunk = len(variants) if kind == "sparse" else args.chunk_size
        for distance, mask in ((500, 1), (50, 0)):  # the headline first, should time run out
            settings = delta.Settings(distance=distance, mask=bool(mask))
            first = None
            runs = [(p, "free") for p in args.precisions.split(",")]
            if str(args.device).startswith("cuda"):
                runs += [("fp32", "fixed"), ("fp32", "graphs")]
            elif args.quick:  # the CPU dry run of the replayed passes
                runs.append(("fp32", "graphs"))
            for precision, mode in runs:
                set_mode(mode)
                opts = Options(reference=str(FASTA), annotation=str(TABLE), device=args.device,
                               precision=precision, batch_size=args.batch_size)
                ctx = ScoringContext(reference, genes, m, settings, options=opts)
                snvs, seconds, macs, got, spent = timed_run(fast(), variants, chunk, ctx,
                                                            counter, args)
                if first is None:
                    first = got
                common = [i for i in range(min(len(got), len(first))) if first[i] is not None]
                differ = sum(got[i] != first[i] for i in common)
                label = f"{kind} D={distance} M={mask} {precision}"
                if mode in ("fixed", "graphs"):
                    label = f"[{'fixed shapes' if mode == 'fixed' else 'graphs'}] {label}"
                rows.add(f"{label} SNVs/s", rate(snvs / seconds),
                         f"{snvs} SNVs in {seconds:.1f} s; peak GPU MiB {peak_mib(args.device)}")
                rows.add(f"{label} compute",
                         f"{100 * 2 * macs / seconds / FP32_PEAK:.1f}% of fp32 peak",
                         f"{macs / snvs / 1e9:.2f} GMAC/SNV executed (5 members; whole "
                         f"windows ~{5 * (7.0 if distance == 50 else 7.6):.0f}); host-side "
                         f"ref {spent.get('ref seconds', 0):.1f} s, alt "
                         f"{spent.get('alt seconds', 0):.1f} s")
                if (precision, mode) != ("fp32", "free"):
                    rows.add(f"{label} strings differ from fp32",
                             f"{differ}/{len(common)}", "records")
            set_mode("free")
    reference.close()


def section_precompute(rows, args):
    from spliceannot.scale import precompute as pre
    from spliceannot.io.reference import Reference
    from spliceannot.pipeline import Options, score_file

    model()  # loaded once, kept by the registry
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gpu_bench_"))
    # NM_001176 (+ strand, chr16 slice 93643-96040): no chr20 data in the repository
    first = 93_700
    region = f"chr16:{first}-{first + args.precompute_bp - 1}"
    opts = Options(reference=str(FASTA), annotation=str(TABLE), distance=500, mask=True,
                   device=args.device, batch_size=args.batch_size, chunk_size=args.chunk_size,
                   progress=False)
    pre.precompute([f"chr16:{first - 10}-{first - 9}"], str(tmp / "warm.vep.vcf.gz"), opts)
    reset_peak(args.device)
    sync(args.device)
    started = time.perf_counter()
    summary = pre.precompute([region], str(tmp / "gene.vep.vcf.gz"), opts)
    sync(args.device)
    seconds = time.perf_counter() - started
    reference = Reference(str(FASTA))
    pre.write_variants(str(tmp / "v.vcf"), reference, [("chr16", first,
                                                       first + args.precompute_bp - 1)], ("snv",))
    reference.close()
    snvs = 3 * sum(1 for l in open(tmp / "v.vcf") if l[0] != "#")
    rows.add(f"precompute {region} (NM_001176) D=500 M=1 SNVs/s", rate(snvs / seconds),
             f"{snvs} SNVs, {seconds:.1f} s incl. writing bgzip+tabix; peak GPU MiB "
             f"{peak_mib(args.device)}; records out {summary.records_out}")
    direct = dict(vars(opts))
    score_file(str(tmp / "v.vcf"), str(tmp / "direct.vcf"), Options(**direct))
    direct["precomputed"] = (str(tmp / "gene.vep.vcf.gz"),)
    direct["device"] = "cpu"  # every record must come from the file, no model run needed
    score_file(str(tmp / "v.vcf"), str(tmp / "readback.vcf"), Options(**direct))

    def info(path):
        return [l.split("\t")[7] for l in open(path) if l[0] != "#"]

    a, b = info(tmp / "direct.vcf"), info(tmp / "readback.vcf")
    scored = sum("SpliceAI=" in x for x in a)
    rows.add("precompute read back via --precomputed == direct scoring",
             "yes" if a == b and scored == len(a) > 0 else "NO",
             f"{sum(x == y for x, y in zip(a, b))}/{len(a)} records identical, {scored} scored")


def section_table(rows, args):
    lines = [json.loads(l) for l in open(args.results) if l.strip()]
    print("\n| section | item | value | note |\n|---|---|---|---|")
    for r in lines:
        cells = (str(r[k]).replace("|", "\\|") for k in ("section", "item", "value", "note"))
        print("| " + " | ".join(cells) + " |")


SECTIONS = {"tests": section_tests, "golden": section_golden, "keras": section_keras,
            "throughput": section_throughput, "precompute": section_precompute,
            "table": section_table}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("section", choices=sorted(SECTIONS))
    ap.add_argument("--results", required=True, help="JSON-lines file rows are appended to")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a CPU dry run)")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=None, help="timed seconds per throughput row")
    ap.add_argument("--precisions", default=",".join(PRECISIONS))
    ap.add_argument("--workloads", default="dense,sparse")
    args = ap.parse_args()
    quick = args.quick
    args.batch_size = args.batch_size or (16 if quick else 1024)
    args.chunk_size = args.chunk_size or (8 if quick else 1024)
    args.seconds = args.seconds if args.seconds is not None else (0.0 if quick else 4.0)
    args.golden_records = 12 if quick else 332
    args.per_window_tasks = 3 if quick else 24
    args.sparse = 2 if quick else 80
    args.dense_bp = 3 if quick else 1024
    args.precompute_bp = 3 if quick else 600
    if args.section != "table":
        torch = torch_mod()
        if args.device.startswith("cuda"):
            print(f"# {torch.cuda.get_device_name()} torch {torch.__version__} "
                  f"cuDNN {torch.backends.cudnn.version()}", flush=True)
    print(f"## section {args.section} (device {args.device}{', quick' if quick else ''})",
          flush=True)
    SECTIONS[args.section](Rows(args.results, args.section), args)


if __name__ == "__main__":
    main()
