"""`spliceannot serve`: N SNVs as one batch request vs the same N as N single requests.

Starts the service in-process on a loopback port (real SpliceAI model, bundled chr16 example by
default), warms it up, then times, with the answer cache emptied before each round:
  * N single GET /spliceai/ requests, one after another (N pipeline calls),
  * one POST /spliceai/batch with the same N variants (one pipeline call: the engine batches
    them and shares REF tracks),
and prints both rates (variants per second) and their ratio side by side. Run on a quiet machine:
    python benchmarks/bench_serve.py [--n 50] [--distance 500] [--model spliceai]
    python benchmarks/bench_serve.py --model tiny-dir --plugins-dir tests/data/plugins  # smoke
"""

import argparse
import json
import socket
import threading
import time
import urllib.parse
import urllib.request

FASTA = "examples/data/hg38_chr16_186964-397118.fa"
ANNOTATION = "annotations/hg38_chr16_186964-397118.refseq.txt"


def snvs(service, n):
    """n distinct SNVs inside genes of the served annotation, spread over them."""
    genes = [g for g in service.genes.genes if service.reference.resolve(g.chrom)]
    out, i = [], 0
    while len(out) < n:
        g = genes[i % len(genes)]
        pos = g.tx_start + 37 + 211 * (i // len(genes))
        i += 1
        if pos > g.tx_end:
            continue
        contig = service.reference.resolve(g.chrom)
        base = service.reference.fetch(contig, pos - 1, pos).upper()
        if base in ("A", "C", "G", "T"):
            out.append(f"{g.chrom}-{pos}-{base}-{'A' if base != 'A' else 'G'}")
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--distance", type=int, default=500)
    p.add_argument("--model", default="spliceai")
    p.add_argument("--fasta", default=FASTA)
    p.add_argument("--annotation", default=ANNOTATION)
    p.add_argument("--plugins-dir", default=None)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()

    import uvicorn

    from spliceannot.serve.app import create_app
    from spliceannot.serve.service import Service

    if args.plugins_dir:
        from spliceannot.plugins import load_plugins_dir

        load_plugins_dir(args.plugins_dir)
    service = Service(args.fasta, args.annotation, args.model, distance=args.distance,
                      max_batch=max(args.n, 100), max_work=10 ** 9, deadline=3600,
                      device=args.device)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(service, max_body=1 << 24),
                                           log_level="error", access_log=False))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)

    def get(variant):
        q = urllib.parse.urlencode({"hg": "38", "distance": args.distance, "variant": variant})
        with urllib.request.urlopen(f"{base}/spliceai/?{q}", timeout=3600) as r:
            return json.loads(r.read())

    def post(variants):
        data = json.dumps({"variants": variants, "hg": "38", "distance": args.distance}).encode()
        req = urllib.request.Request(f"{base}/spliceai/batch", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=3600) as r:
            return json.loads(r.read())["results"]

    variants = snvs(service, args.n)
    warm = snvs(service, args.n + 2)[-2:]
    get(warm[0])
    post(warm)  # engine probe, allocations, both paths once
    service.cache.clear()
    started = time.perf_counter()
    singles = [get(v) for v in variants]
    single_s = time.perf_counter() - started
    service.cache.clear()
    started = time.perf_counter()
    batch = post(variants)
    batch_s = time.perf_counter() - started
    for a, b in zip(singles, batch):  # the same answers either way
        a.pop("source", None), b.pop("source", None)
        assert a == b, (a.get("variant"), b.get("variant"))
    errors = sum("error" in a for a in singles)
    single_rate, batch_rate = args.n / single_s, args.n / batch_s
    print(f"{'':24}{'seconds':>10}{'variants/s':>12}")
    print(f"{args.n} single requests     {single_s:10.2f}{single_rate:12.2f}")
    print(f"1 batch of {args.n:<13} {batch_s:10.2f}{batch_rate:12.2f}")
    print(f"batch / single rate: {batch_rate / single_rate:.1f}x   (model {args.model}, "
          f"D={args.distance}, {errors} answers were errors)")
    server.should_exit = True


if __name__ == "__main__":
    main()
