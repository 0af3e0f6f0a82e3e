"""The SpliceAI paper's top-k accuracy of predicted tracks against annotated splice sites."""

from ..io.contig import ContigMap


def top_k_accuracy(chunks, genes) -> dict:
    """The SpliceAI paper's top-k accuracy per class over the annotated transcripts: with k the
    number of annotated sites (exon starts but the first, ends but the last, swapped on '-'),
    the fraction of them among the k highest-scoring positions of the transcripts' strands."""
    from ..semantics.spliceai import splice_sites

    scores = {1: {}, 2: {}}  # class -> (contig, strand, pos) -> probability
    for chunk in chunks:
        for run, probs in chunk.runs:
            for cls in (1, 2):
                for i, p in enumerate(probs[:, cls - 1]):
                    key = (run.contig, run.strand, run.start + i)
                    scores[cls][key] = max(scores[cls].get(key, 0.0), float(p))
    result = {}
    for cls, label in ((1, "acceptor"), (2, "donor")):
        truth = set()
        names = ContigMap(sorted({key[0] for key in scores[cls]}))
        for g in genes.genes:
            contig = names.resolve(g.chrom)
            truth |= {(contig, g.strand, int(s)) for s in splice_sites(g, 0)[cls - 1]}
        truth &= set(scores[cls])
        k = len(truth)
        top = sorted(scores[cls], key=lambda key: -scores[cls][key])[:k]
        result[label] = {"k": k, "top_k": (len(truth & set(top)) / k) if k else float("nan")}
    return result
