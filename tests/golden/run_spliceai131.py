"""Score a VCF with the original spliceai 1.3.1 for several (-D, -M) settings in one process.

Runs ONLY inside the throwaway TensorFlow venv of the recipe (README.md beside this file); it is
never imported by spliceannot or its tests. It drives spliceai's own `Annotator` and
`get_delta_scores` — the two calls its CLI makes per record — and writes each setting's output as
a VCF the way the CLI does. The one addition is a memo on each Keras model's `predict`: `-M 0` and
`-M 1` at the same `-D` feed the models identical arrays, so the second setting reuses the first's
predictions instead of spending another ~5 s per variant. A memo on a deterministic function does
not change any number.

usage: python run_spliceai131.py IN.vcf FASTA TABLE OUTDIR D[,D...]
writes OUTDIR/spliceai131_D{D}_M{M}.vcf and OUTDIR/spliceai131.log
"""

import hashlib
import logging
import os
import sys
import time

import pysam
from spliceai.utils import Annotator, get_delta_scores


HEADER = ('##INFO=<ID=SpliceAI,Number=.,Type=String,Description="SpliceAIv1.3.1 variant '
          'annotation. These include delta scores (DS) and delta positions (DP) for acceptor gain '
          '(AG), acceptor loss (AL), donor gain (DG), and donor loss (DL). Format: ALLELE|SYMBOL|'
          'DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL">')


class MemoModel:
    def __init__(self, model):
        self.model = model
        self.memo = {}

    def predict(self, x, **kwargs):
        key = (x.shape, hashlib.sha1(x.tobytes()).digest())
        if key not in self.memo:
            self.memo[key] = self.model.predict(x, verbose=0)
        return self.memo[key]


def main(vcf, fasta, table, outdir, dists):
    os.makedirs(outdir, exist_ok=True)
    logging.basicConfig(filename=os.path.join(outdir, "spliceai131.log"), level=logging.INFO,
                        format="%(levelname)s:%(message)s", filemode="w")
    ann = Annotator(fasta, table)
    for dist in [int(d) for d in dists.split(",")]:
        ann.models = [MemoModel(getattr(m, "model", m)) for m in ann.models]
        for mask in (0, 1):
            logging.info("setting D=%d M=%d", dist, mask)
            vin = pysam.VariantFile(vcf)
            out = os.path.join(outdir, f"spliceai131_D{dist}_M{mask}.vcf")
            # Text output: the input line with INFO replaced. (pysam's writer of this era rejects
            # some records, e.g. symbolic ALTs without an ##ALT line; the strings are what matter.)
            lines = [l for l in open(vcf) if not l.startswith("#")]
            t0 = time.time()
            with open(out, "w") as handle:
                handle.write("##fileformat=VCFv4.2\n" + HEADER + "\n")
                handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
                for n, (record, line) in enumerate(zip(vin, lines), 1):
                    scores = get_delta_scores(record, ann, dist, mask)
                    fields = line.rstrip("\n").split("\t")
                    fields[7] = "SpliceAI=" + ",".join(scores) if scores else "."
                    handle.write("\t".join(fields) + "\n")
                    if n % 10 == 0:
                        print(f"D={dist} M={mask} {n} records {time.time() - t0:.0f}s",
                              file=sys.stderr, flush=True)
            vin.close()


if __name__ == "__main__":
    main(*sys.argv[1:6])
