"""Long fuzz run: N random VCF records of every kind (default 10,000) through both scorers.

Checks that nothing crashes, records out + malformed lines = records in, input order is kept, no
NaN/inf is written, and the fast engine's output equals the delta reference path's. Uses a seeded
random 80 nt SpliceNet (tests/data/plugins) so the run takes minutes on a laptop CPU.

usage: python benchmarks/fuzz.py [--records 10000] [--seed 1]
"""

import argparse
import collections
import pathlib
import random
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fuzzing import random_vcf  # noqa: E402

from spliceannot.plugins import load_plugins_dir  # noqa: E402
from spliceannot.pipeline import MALFORMED, Options, score_file  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    fasta = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
    table = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"
    seq = "".join(l.strip() for l in open(fasta).readlines()[1:])
    load_plugins_dir(REPO / "tests" / "data" / "plugins")
    tmp = pathlib.Path(tempfile.mkdtemp())
    vcf = tmp / "fuzz.vcf"
    vcf.write_text(random_vcf(random.Random(args.seed), seq, args.records))
    texts, summaries = {}, {}
    for scorer in ("delta", "fast"):
        out = tmp / f"{scorer}.vcf"
        t0 = time.perf_counter()
        summaries[scorer] = s = score_file(str(vcf), str(out), Options(
            reference=str(fasta), annotation=str(table), model="tiny-dir", scorer=scorer,
            skip_malformed=True, progress=False))
        body = [l for l in open(out) if not l.startswith("#")]
        texts[scorer] = body
        ids = [int(l.split("\t")[2][1:]) for l in body]
        assert ids == sorted(ids), "input order lost"
        assert s.records_in == args.records
        assert s.records_out + s.unscored.get(MALFORMED, 0) == args.records, "records lost"
        assert not any("|nan" in l.lower() or "|inf" in l.lower() for l in body)
        print(f"{scorer}: {s.records_in} in, {s.records_out} out, {s.scored} scored "
              f"({s.entries} entries), {time.perf_counter() - t0:.1f} s")
    same = texts["delta"] == texts["fast"]
    s = summaries["delta"]
    print(f"fast == delta: {same}")
    print("unscored by reason:")
    for reason, n in sorted(s.unscored.items()):
        print(f"  {reason}: {n}")
    print("ALTs skipped by reason:")
    for reason, n in sorted(s.alt_skips.items()):
        print(f"  {reason}: {n}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
