"""Writers of ``predict`` tracks, chosen by file name: bigWig, bedGraph, BED of sites, TSV.

Each takes :class:`~spliceannot.tracks.Chunk` objects in genome order. bigWig and bedGraph hold
one track each, so ``OUT.bw`` becomes ``OUT.acceptor_plus.bw``, ``OUT.donor_minus.bw``, ... (one
per class and strand predicted). The BED lists positions whose probability is at least the
threshold as 0-based half-open single-base intervals with the class as name, round(1000 * p) as
score, the strand, and the probability itself in a seventh column; ``.bed.gz`` is bgzip-compressed
and tabix-indexed. The TSV has one row per position and transcript (CHROM, POS 1-based, STRAND,
GENE, ACCEPTOR, DONOR) with probabilities printed to float32 precision (``%.9g``).
"""

import os

import numpy as np

from ..errors import UsageError

CLASSES = ("acceptor", "donor")
STRAND_NAMES = {"+": "plus", "-": "minus"}
KINDS = {".bw": "bigwig", ".bigwig": "bigwig", ".bedgraph": "bedgraph", ".bg": "bedgraph",
         ".bed": "bed", ".bed.gz": "bed", ".tsv": "tsv", ".tsv.gz": "tsv"}


def kind_of(path: str) -> str:
    name = path.lower()
    for suffix in sorted(KINDS, key=len, reverse=True):
        if name.endswith(suffix):
            return KINDS[suffix]
    raise UsageError(f"-o {path}: the output type follows the name: "
                     f"{', '.join(sorted(KINDS))}")


def track_paths(path: str, strands) -> dict:
    """(class, strand) -> file of a one-track format (OUT.acceptor_plus.bw, ...)."""
    lower = path.lower()
    suffix = next(s for s in sorted(KINDS, key=len, reverse=True) if lower.endswith(s))
    stem = path[:len(path) - len(suffix)]
    return {(c, s): f"{stem}.{c}_{STRAND_NAMES[s]}{path[len(stem):]}"
            for c in CLASSES for s in strands}


def open_writers(paths, contigs, strands, threshold: float) -> list:
    """Writers for every output path; ``contigs``: [(name, length)] in processing order."""
    writers = []
    for path in paths:
        kind = kind_of(path)
        if kind == "bigwig":
            writers.append(BigWigWriter(path, contigs, strands))
        elif kind == "bedgraph":
            writers.append(BedGraphWriter(path, strands))
        elif kind == "bed":
            writers.append(BedWriter(path, threshold, strands))
        else:
            writers.append(TsvWriter(path))
    return writers


def _covered(values: np.ndarray):
    """(first, last) index stretches where ``values`` is not NaN."""
    ok = ~np.isnan(values)
    if not ok.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.view(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2] - 1))


class BigWigWriter:
    def __init__(self, path, contigs, strands):
        try:
            import pyBigWig
        except ImportError:
            raise UsageError("bigWig output needs pyBigWig: pip install pyBigWig") from None
        self.strands = strands
        self.files = {}
        self.paths = track_paths(path, strands)
        for key, p in self.paths.items():
            bw = pyBigWig.open(p, "w")
            bw.addHeader([(c, int(n)) for c, n in contigs], maxZooms=10)
            self.files[key] = bw

    def write(self, chunk):
        for strand in self.strands:
            track = chunk.track(strand)
            for ci, cls in enumerate(CLASSES):
                for a, b in _covered(track[:, ci]):
                    values = track[a:b + 1, ci].astype(np.float64)
                    self.files[(cls, strand)].addEntries(chunk.contig, int(chunk.start - 1 + a),
                                                         values=values.tolist(), span=1, step=1)

    def close(self):
        for bw in self.files.values():
            bw.close()


class BedGraphWriter:
    def __init__(self, path, strands):
        self.strands = strands
        self.paths = track_paths(path, strands)
        self.files = {}
        for (cls, strand), p in self.paths.items():
            handle = open(p, "w")
            handle.write(f'track type=bedGraph name="{cls} {strand}" '
                         f'description="spliceannot predict: P({cls}) on the {strand} strand"\n')
            self.files[(cls, strand)] = handle

    def write(self, chunk):
        for strand in self.strands:
            track = chunk.track(strand)
            for ci, cls in enumerate(CLASSES):
                handle = self.files[(cls, strand)]
                for a, b in _covered(track[:, ci]):
                    starts = np.arange(a, b + 1) + chunk.start - 1
                    handle.writelines(f"{chunk.contig}\t{s}\t{s + 1}\t{v:.6g}\n"
                                      for s, v in zip(starts.tolist(), track[a:b + 1, ci].tolist()))

    def close(self):
        for handle in self.files.values():
            handle.close()


class BedWriter:
    def __init__(self, path, threshold, strands):
        self.path, self.threshold, self.strands = path, threshold, strands
        self.compressed = path.lower().endswith(".gz")
        if self.compressed:
            from pysam.libcbgzf import BGZFile

            self.handle = BGZFile(path, "wb")
        else:
            self.handle = open(path, "w")

    def write(self, chunk):
        rows = []
        for strand in self.strands:
            track = chunk.track(strand)
            for ci, cls in enumerate(CLASSES):
                values = track[:, ci]
                for i in np.flatnonzero(values.astype(np.float64) >= self.threshold).tolist():
                    p = float(values[i])
                    start = chunk.start - 1 + i
                    rows.append((start, strand, ci, f"{chunk.contig}\t{start}\t{start + 1}\t{cls}\t"
                                 f"{int(round(1000 * p))}\t{strand}\t{p:.6g}\n"))
        text = "".join(r[3] for r in sorted(rows))
        self.handle.write(text.encode() if self.compressed else text)

    def close(self):
        self.handle.close()
        if self.compressed:
            import pysam

            pysam.tabix_index(self.path, preset="bed", force=True)


class TsvWriter:
    HEADER = "CHROM\tPOS\tSTRAND\tGENE\tACCEPTOR\tDONOR\n"

    def __init__(self, path):
        if path.lower().endswith(".gz"):
            import gzip

            self.handle = gzip.open(path, "wt")
        else:
            self.handle = open(path, "w")
        self.handle.write(self.HEADER)

    def write(self, chunk):
        rows = []
        for run, probs in chunk.runs:
            for i, (acc, don) in enumerate(probs.tolist()):
                rows.append((run.start + i, run.strand, run.gene,
                             f"{chunk.contig}\t{run.start + i}\t{run.strand}\t{run.gene}\t"
                             f"{acc:.9g}\t{don:.9g}\n"))
        rows.sort(key=lambda r: r[:2])  # position order; transcripts in table order (stable)
        self.handle.writelines(r[3] for r in rows)

    def close(self):
        self.handle.close()


def remove_outputs(paths, strands):
    """Take partial outputs away after a failure, so none is mistaken for a finished one."""
    for path in paths:
        kind = kind_of(path)
        targets = track_paths(path, strands).values() if kind in ("bigwig", "bedgraph") else [path]
        for p in list(targets) + [path + ".tbi"]:
            if os.path.exists(p):
                os.unlink(p)
