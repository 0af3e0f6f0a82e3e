"""The predictions themselves: runs per transcript (or both strands), tiled model calls, chunks."""

import numpy as np

from ..errors import UsageError
from ..sequence import one_hot, reverse_complement_onehot
from . import CHUNK, Chunk, Run


def genes_by_contig(genes, reference) -> dict:
    """FASTA contig -> its transcripts, in table order (None: no annotation)."""
    if genes is None:
        return None
    out = {}
    for g in genes.genes:
        contig = reference.resolve(g.chrom)
        if contig is not None:
            out.setdefault(contig, []).append(g)
    return out


def runs_for(contig, start, end, by_contig, length, only=None) -> list:
    """The runs covering [start, end]: one per overlapping transcript, or both strands unmasked."""
    if by_contig is None:
        return [Run(contig, s, start, end, (1, length)) for s in "+-"]
    runs = []
    for g in by_contig.get(contig, ()):
        if (only is None or id(g) in only) and g.tx_start <= end and g.tx_end >= start:
            label = f"{g.name}/{g.transcript}" if g.transcript and g.transcript != g.name else g.name
            runs.append(Run(contig, g.strand, max(start, g.tx_start), min(end, g.tx_end),
                            (g.tx_start, g.tx_end), label))
    return runs


def window(reference, run: Run, first: int, last: int, half: int) -> np.ndarray:
    """One-hot input for output positions [first, last] of a run, oriented along its strand."""
    length = reference.length(run.contig)
    a, b = first - half, last + half  # 1-based inclusive input span
    lo, hi = max(a, run.keep[0], 1), min(b, run.keep[1], length)
    x = np.zeros((b - a + 1, 4), dtype=np.float32)
    if lo <= hi:
        x[lo - a:hi - a + 1] = one_hot(reference.fetch(run.contig, lo - 1, hi))
    return reverse_complement_onehot(x) if run.strand == "-" else x


def run_probs(run: Run, reference, model, tile: int, batch: int) -> np.ndarray:
    """(n, C) probabilities of a run's positions per track class of the model (acceptor and
    donor for SpliceAI), in genomic order."""
    half = model.context // 2
    spans = [(s, min(s + tile - 1, run.end)) for s in range(run.start, run.end + 1, tile)]
    out = np.empty((run.end - run.start + 1, len(model.track_classes)), dtype=np.float32)
    groups = {}
    for span in spans:  # equal-length tiles run together
        groups.setdefault(span[1] - span[0], []).append(span)
    for group in groups.values():
        for i in range(0, len(group), batch):
            part = group[i:i + batch]
            x = np.stack([np.ascontiguousarray(window(reference, run, s, e, half)) for s, e in part])
            y = np.asarray(model.predict(x))
            for (s, e), yi in zip(part, y):
                if run.strand == "-":
                    yi = yi[::-1]
                out[s - run.start:e - run.start + 1] = model.track_values(yi)
    return out


def predict_chunks(regions, reference, model, genes=None, only=None, tile: int = 20000,
                   batch: int = 4, progress=None):
    """Yield a :class:`Chunk` per <= CHUNK positions of each region, in region order."""
    if tile < 1 or batch < 1:
        raise UsageError("--tile and --batch-size must be >= 1")
    by_contig = genes_by_contig(genes, reference)
    for contig, start, end in regions:
        length = reference.length(contig)
        for c0 in range(start, end + 1, CHUNK):
            c1 = min(c0 + CHUNK - 1, end)
            runs = runs_for(contig, c0, c1, by_contig, length, only)
            chunk = Chunk(contig, c0, c1, [(r, run_probs(r, reference, model, tile, batch))
                                           for r in runs], tuple(model.track_classes))
            if progress is not None:
                progress(c1 - c0 + 1)
            yield chunk
