"""Latency of one SNV lookup against a warm `spliceannot serve` (model loaded, nothing cached).

Starts the service in-process on a loopback port with the real SpliceAI model on the bundled
example, times N distinct SNVs over HTTP (each computed), then the same ones again (memory cache).
    python benchmarks/serve_latency.py [--distance 500] [--n 5]
"""

import argparse
import json
import socket
import statistics
import threading
import time
import urllib.request

import uvicorn

from spliceannot.serve.app import create_app
from spliceannot.serve.service import Service

FASTA = "examples/data/hg38_chr16_186964-397118.fa"
TABLE = "annotations/hg38_chr16_186964-397118.refseq.txt"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--distance", type=int, default=500)
    p.add_argument("--n", type=int, default=5)
    args = p.parse_args()
    seq = "".join(l.strip() for l in open(FASTA).readlines()[1:])
    t0 = time.perf_counter()
    service = Service(FASTA, TABLE, "spliceai")
    service.model.networks()
    load = time.perf_counter() - t0
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="error"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    positions = [60_000 + 997 * i for i in range(args.n + 1)]
    urls = [f"{base}/spliceai/?hg=38&distance={args.distance}&mask=0&variant=chr16-{p}-"
            f"{seq[p - 1].upper()}-{'A' if seq[p - 1].upper() != 'A' else 'G'}" for p in positions]

    def timed(url):
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as r:
            json.loads(r.read())
        return time.perf_counter() - t

    timed(urls[0])  # first call: engine probe and allocations
    cold = [timed(u) for u in urls[1:]]
    cached = [timed(u) for u in urls[1:]]
    print(json.dumps({"load seconds": round(load, 1), "distance": args.distance,
                      "computed median s": round(statistics.median(cold), 3),
                      "computed each s": [round(x, 3) for x in cold],
                      "cached median ms": round(1000 * statistics.median(cached), 2)}, indent=2))
    server.should_exit = True


if __name__ == "__main__":
    main()
