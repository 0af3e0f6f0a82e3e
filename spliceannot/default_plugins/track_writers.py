"""Built-in ``predict`` writers ``bigwig``, ``bedgraph``, ``bed``, ``tsv``, chosen by the ``-o`` suffix.

Each takes :class:`~spliceannot.tracks.Chunk` objects in genome order. bigWig and bedGraph hold
one track each (``one_track``), so they follow the naming rule of
:data:`spliceannot.tracks.NAMING_RULE`: ``OUT.bw`` becomes ``OUT.acceptor_plus.bw``,
``OUT.donor_minus.bw``, ... (one per class and strand predicted). The BED lists positions whose
probability is at least the threshold as 0-based half-open single-base intervals with the class
as name, round(1000 * p) as score, the strand, and the probability itself in a seventh column;
``.bed.gz`` is bgzip-compressed and tabix-indexed. The TSV has one row per position and
transcript (CHROM, POS 1-based, STRAND, GENE, ACCEPTOR, DONOR) with probabilities printed to
float32 precision (``%.9g``).
"""

import numpy as np

from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.tracks import TrackWriter


@hookimpl
def register_track_writers(register):
    for cls in (BigWigWriter, BedGraphWriter, BedWriter, TsvWriter):
        register(cls)


def _covered(values: np.ndarray):
    """(first, last) index stretches where ``values`` is not NaN."""
    ok = ~np.isnan(values)
    if not ok.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.view(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2] - 1))


class PerTrackWriter(TrackWriter):
    """One file per class and strand (``one_track``): ``open_track`` opens each, ``write_run``
    writes one stretch of covered positions (its 0-based first position and its values)."""

    one_track = True

    def __init__(self, path, contigs, strands, threshold, classes=("acceptor", "donor")):
        super().__init__(path, contigs, strands, threshold, classes)
        self.handles = {}
        for key, p in self.track_paths(path, strands, self.classes).items():
            self.handles[key] = self.open_track(p, key, contigs)

    def open_track(self, path, key, contigs):
        raise NotImplementedError

    def write_run(self, handle, contig, start, values) -> None:
        raise NotImplementedError

    def write(self, chunk):
        for strand in self.strands:
            track = chunk.track(strand)
            for ci, cls in enumerate(self.classes):
                for a, b in _covered(track[:, ci]):
                    self.write_run(self.handles[(cls, strand)], chunk.contig,
                                   int(chunk.start - 1 + a), track[a:b + 1, ci])

    def close(self):
        for handle in self.handles.values():
            handle.close()


class BigWigWriter(PerTrackWriter):
    name = "bigwig"
    description = "bigWig, one file per class and strand"
    suffixes = (".bw", ".bigwig")

    def __init__(self, path, contigs, strands, threshold, classes=("acceptor", "donor")):
        try:
            import pyBigWig
        except ImportError:
            raise UsageError("bigWig output needs pyBigWig: pip install pyBigWig") from None
        self._open = pyBigWig.open
        super().__init__(path, contigs, strands, threshold, classes)

    def open_track(self, path, key, contigs):
        bw = self._open(path, "w")
        bw.addHeader([(c, int(n)) for c, n in contigs], maxZooms=10)
        return bw

    def write_run(self, handle, contig, start, values):
        handle.addEntries(contig, start, values=values.astype(np.float64).tolist(), span=1, step=1)


class BedGraphWriter(PerTrackWriter):
    name = "bedgraph"
    description = "bedGraph, one file per class and strand, covered positions only"
    suffixes = (".bedgraph", ".bg")

    def open_track(self, path, key, contigs):
        cls, strand = key
        handle = open(path, "w")
        handle.write(f'track type=bedGraph name="{cls} {strand}" '
                     f'description="spliceannot predict: P({cls}) on the {strand} strand"\n')
        return handle

    def write_run(self, handle, contig, start, values):
        handle.writelines(f"{contig}\t{s}\t{s + 1}\t{v:.6g}\n"
                          for s, v in enumerate(values.tolist(), start))


class BedWriter(TrackWriter):
    name = "bed"
    description = "BED of sites >= --threshold (.gz: bgzip + tabix index)"
    suffixes = (".bed", ".bed.gz")

    @classmethod
    def files(cls, path, strands):
        return [path, path + ".tbi"] if path.lower().endswith(".gz") else [path]

    def __init__(self, path, contigs, strands, threshold, classes=("acceptor", "donor")):
        super().__init__(path, contigs, strands, threshold, classes)
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
            for ci, cls in enumerate(self.classes):
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


class TsvWriter(TrackWriter):
    name = "tsv"
    description = "one row per position and transcript (gzip for .gz)"
    suffixes = (".tsv", ".tsv.gz")
    def __init__(self, path, contigs, strands, threshold, classes=("acceptor", "donor")):
        super().__init__(path, contigs, strands, threshold, classes)
        if path.lower().endswith(".gz"):
            import gzip

            self.handle = gzip.open(path, "wt")
        else:
            self.handle = open(path, "w")
        self.handle.write("\t".join(["CHROM", "POS", "STRAND", "GENE",
                                     *(c.upper() for c in self.classes)]) + "\n")

    def write(self, chunk):
        rows = []
        for run, probs in chunk.runs:
            for i, values in enumerate(probs.tolist()):
                cells = "\t".join(f"{v:.9g}" for v in values)
                rows.append((run.start + i, run.strand, run.gene,
                             f"{chunk.contig}\t{run.start + i}\t{run.strand}\t{run.gene}\t"
                             f"{cells}\n"))
        rows.sort(key=lambda r: r[:2])  # position order; transcripts in table order (stable)
        self.handle.writelines(r[3] for r in rows)

    def close(self):
        self.handle.close()
