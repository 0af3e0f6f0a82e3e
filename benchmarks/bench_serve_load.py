"""`spliceannot serve` under load: 20 clients for 5 minutes, a mix of everything the page sends.

Starts ``spliceannot serve`` as a subprocess on a loopback port (real SpliceAI model and the
README's chr16 example by default) and runs ``--clients`` threads for ``--duration`` seconds.
Each client loops over a random mix, with a new D/mask combination often (the cache and
per-setting state see many distinct keys):
  * light: one SNV / indel / position-only query at D in {50, 500, 1000, 2000} (the page's
    searches), and the per-position ``/spliceai/scores/`` of a transcript of its answer;
  * heavy (one client in ten): a batch of up to 99 SNVs at D=10000, or a 5,000-nt insertion,
    which the server must refuse (400 too much work) or stop at its own deadline (503).
Prints p50/p95 latency of light and heavy requests, the statuses, the 503s of light requests
(a 503 there is another client's request getting in the way) and the server's peak RSS
(VmHWM of the process, and the largest VmRSS sampled every 0.5 s). Loopback traffic only.

Run on a quiet machine (the lead):
    python benchmarks/bench_serve_load.py                       # 20 clients x 300 s
    python benchmarks/bench_serve_load.py --quick                # 20 clients x 20 s, smoke
    python benchmarks/bench_serve_load.py --quick --model tiny-dir --plugins-dir tests/data/plugins
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

FASTA = "examples/data/hg38_chr16_186964-397118.fa"
ANNOTATION = "annotations/hg38_chr16_186964-397118.refseq.txt"
LIGHT_D = (50, 500, 1000, 2000)


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def fasta_sequence(path):
    with open(path) as handle:
        head = handle.readline()
        return head[1:].split()[0], "".join(line.strip() for line in handle).upper()


def gene_positions(annotation):
    """(start, end) of the transcripts of a SpliceAI table (or a GTF's exon extents)."""
    spans = []
    with open(annotation) as handle:
        for line in handle:
            f = line.rstrip("\n").split("\t")
            if line.startswith("#") or len(f) < 5:
                continue
            if f[2] == "exon" and len(f) >= 9:
                spans.append((int(f[3]), int(f[4])))
            elif f[3].isdigit() and f[4].isdigit():
                spans.append((int(f[3]), int(f[4])))
    return spans


def memory(pid):
    """(VmRSS, VmHWM) in MB of a process, from /proc."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out.get("VmRSS", 0.0), out.get("VmHWM", 0.0)


class Client(threading.Thread):
    def __init__(self, base, chrom, seq, spans, until, heavy, seed, log):
        super().__init__(daemon=True)
        self.base, self.chrom, self.seq, self.spans = base, chrom, seq, spans
        self.until, self.heavy, self.rng, self.log = until, heavy, random.Random(seed), log

    def position(self):
        start, end = self.rng.choice(self.spans)
        return self.rng.randint(start, end)

    def variant(self):
        p = self.position()
        r = self.seq[p - 1]
        alt = self.rng.choice([b for b in "ACGT" if b != r])
        kind = self.rng.random()
        if kind < 0.6:
            return f"{self.chrom}-{p}-{r}-{alt}"
        if kind < 0.75:
            return f"{self.chrom}-{p}-{self.seq[p - 1:p + 3]}-{r}"
        if kind < 0.9:
            return f"{self.chrom}-{p}-{r}-{r}{alt}GT"
        return f"{self.chrom}-{p}"  # position-only

    def call(self, kind, path, params=None, body=None):
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=900) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        except OSError as e:
            status, payload = 0, str(e).encode()
        self.log.append((kind, status, time.monotonic() - started))
        try:
            return status, json.loads(payload)
        except ValueError:
            return status, {}

    def run(self):
        while time.monotonic() < self.until:
            if self.heavy and self.rng.random() < 0.5:
                if self.rng.random() < 0.5:
                    variants = [f"{self.chrom}-{p}-{self.seq[p - 1]}-"
                                f"{'A' if self.seq[p - 1] != 'A' else 'C'}"
                                for p in (self.position() for _ in range(99))]
                    self.call("heavy", "/spliceai/batch",
                              body={"variants": variants, "hg": "38", "distance": 10000})
                else:
                    p = self.position()
                    r = self.seq[p - 1]
                    self.call("heavy", "/spliceai/", {"hg": "38", "distance": 500,
                                                      "variant": f"{self.chrom}-{p}-{r}-{r}"
                                                                 f"{'ACGT' * 1250}"})
                continue
            v = self.variant()
            params = {"hg": "38", "bc": "basic", "distance": self.rng.choice(LIGHT_D),
                      "mask": self.rng.choice("01"), "variant": v, "raw": v}
            status, got = self.call("light", "/spliceai/", params)
            scores = got.get("scores") or []
            if status == 200 and scores and not got.get("isPositionOnly"):
                t = self.rng.choice(scores)["t_id"]
                self.call("light", "/spliceai/scores/", {**params, "transcript": t})


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--duration", type=float, default=300.0)
    p.add_argument("--quick", action="store_true", help="20 s instead of --duration")
    p.add_argument("--model", default="spliceai")
    p.add_argument("--plugins-dir", default=None)
    p.add_argument("--fasta", default=FASTA)
    p.add_argument("--annotation", default=ANNOTATION)
    p.add_argument("--deadline", type=float, default=60.0)
    p.add_argument("--max-work", type=int, default=2_000_000)
    p.add_argument("--cache-mb", type=float, default=64.0)
    p.add_argument("--threads", type=int, default=None, help="serve's --threads (torch)")
    p.add_argument("--json", default=None, help="also write the summary here")
    args = p.parse_args()
    duration = 20.0 if args.quick else args.duration

    port = free_port()
    cmd = [sys.executable, "-m", "spliceannot", "serve", "-R", args.fasta, "-A", args.annotation,
           "--model", args.model, "--port", str(port), "--host", "127.0.0.1", "-q",
           "--deadline", str(args.deadline), "--max-work", str(args.max_work),
           "--cache-mb", str(args.cache_mb)]
    if args.plugins_dir:
        cmd += ["--plugins-dir", args.plugins_dir]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    server = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    chrom, seq = fasta_sequence(args.fasta)
    spans = gene_positions(args.annotation)
    try:
        for _ in range(1200):  # up to 2 minutes to load the model
            try:
                with urllib.request.urlopen(base + "/", timeout=5):
                    break
            except OSError:
                if server.poll() is not None:
                    sys.exit("serve exited: " + server.stderr.read().decode()[-2000:])
                time.sleep(0.1)
        else:
            sys.exit("serve did not start")
        rss_idle = memory(server.pid)[0]
        log, peak = [], [rss_idle]
        until = time.monotonic() + duration
        clients = [Client(base, chrom, seq, spans, until, heavy=(i % 10 == 9), seed=i, log=log)
                   for i in range(args.clients)]
        for c in clients:
            c.start()
        while any(c.is_alive() for c in clients):
            peak.append(memory(server.pid)[0])
            time.sleep(0.5)
        rss_end, hwm = memory(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)

    summary = {"clients": args.clients, "duration_s": duration, "model": args.model,
               "requests": len(log), "rss_idle_mb": round(rss_idle, 1),
               "rss_end_mb": round(rss_end, 1), "rss_peak_sampled_mb": round(max(peak), 1),
               "rss_hwm_mb": round(hwm, 1)}
    for kind in ("light", "heavy"):
        times = [t for k, s, t in log if k == kind and s == 200]
        statuses = {}
        for k, s, _ in log:
            if k == kind:
                statuses[str(s)] = statuses.get(str(s), 0) + 1
        summary[kind] = {"n": sum(statuses.values()), "statuses": statuses,
                         "p50_s": percentile(times, 0.5),
                         "p95_s": percentile(times, 0.95),
                         "mean_s": round(statistics.fmean(times), 3) if times else None}
    summary["light_503"] = summary["light"]["statuses"].get("503", 0)
    summary["errors_other"] = sum(n for kind in ("light", "heavy")
                                  for s, n in summary[kind]["statuses"].items()
                                  if s not in ("200", "400", "503"))
    print(json.dumps(summary, indent=2))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=2)
    ok = summary["light_503"] == 0 and summary["errors_other"] == 0 and hwm < 2048
    print(f"{'PASS' if ok else 'FAIL'}: light 503s {summary['light_503']}, other errors "
          f"{summary['errors_other']}, peak RSS {hwm:.0f} MB (limit 2048)")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
