"""Records no gene touches: recognised in O(log genes) and passed through without planning.

Most records of a genome-wide call set lie outside every gene. 1.3.1 checks the gene overlap
first and leaves such records as they are; doing that check here, on merged gene spans with a
bisection, lets them skip the planner and the scorer, which is most of their cost.
"""

import bisect

from . import delta
from .genes import GeneTable


class GeneSpans:
    """Merged [tx_start, tx_end] spans per VCF contig name; ``reason`` says why a record can
    bypass scoring (no gene, or a contig the FASTA lacks), or None when it must be planned."""

    def __init__(self, genes, reference):
        self._genes, self._reference = genes, reference
        self._spans = {}  # VCF contig name -> (starts, ends) of merged spans, or None
        # A table that computes overlaps its own way (both strands everywhere) is always planned.
        self.enabled = type(genes).overlapping is GeneTable.overlapping

    def _for(self, chrom):
        contig = self._genes.contigs.resolve(chrom)
        spans = sorted((g.tx_start, g.tx_end) for g in self._genes.genes if g.chrom == contig) \
            if contig is not None else []
        starts, ends = [], []
        for s, e in spans:
            if ends and s <= ends[-1]:
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(e)
        absent = self._reference.resolve(chrom) is None
        self._spans[chrom] = (starts, ends, absent)
        return self._spans[chrom]

    def reason(self, chrom: str, pos: int):
        if not self.enabled:
            return None
        found = self._spans.get(chrom) or self._for(chrom)
        starts, ends, absent = found
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and pos <= ends[i]:
            return None
        return delta.NO_CONTIG if absent else delta.NO_GENE
