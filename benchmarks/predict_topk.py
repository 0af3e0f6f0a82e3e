"""Top-k accuracy of `spliceannot predict` on the bundled chr16 example's annotated transcripts.

The SpliceAI paper's metric (Jaganathan et al. 2019, Fig. 1): per class, k = the number of
annotated sites, and the fraction of them among the k highest-scoring positions. Run:
    python benchmarks/predict_topk.py [--model spliceai] [--tile 20000]
"""

import argparse
import json
import time

from spliceannot import registry
from spliceannot.tracks.accuracy import top_k_accuracy
from spliceannot.tracks.prediction import predict_chunks
from spliceannot.tracks.regions import merge_regions
from spliceannot.io.reference import Reference

FASTA = "examples/data/hg38_chr16_186964-397118.fa"
TABLE = "annotations/hg38_chr16_186964-397118.refseq.txt"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="spliceai")
    p.add_argument("--tile", type=int, default=20000)
    p.add_argument("--batch", type=int, default=1)
    args = p.parse_args()
    reference = Reference(FASTA)
    genes = registry.load_annotation(TABLE)
    model = registry.model(args.model)
    regions = merge_regions([(reference.resolve(g.chrom), g.tx_start, g.tx_end)
                             for g in genes.genes], reference)
    started = time.perf_counter()
    chunks = list(predict_chunks(regions, reference, model, genes, tile=args.tile,
                                 batch=args.batch))
    seconds = time.perf_counter() - started
    positions = sum(len(probs) for c in chunks for _, probs in c.runs)
    result = {"model": args.model, "transcripts": len(genes.genes),
              "transcript positions": positions, "seconds": round(seconds, 1),
              **top_k_accuracy(chunks, genes)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
