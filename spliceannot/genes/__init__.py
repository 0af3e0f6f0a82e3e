"""Genes and gene tables: the contract of annotation sources and SpliceAI's table format.

A SpliceAI table has the header ``#NAME CHROM STRAND TX_START TX_END EXON_START EXON_END``, one
row per gene, 0-based starts and 1-based ends, comma-separated exon lists. In memory everything is
1-based inclusive: ``tx_start = TX_START + 1`` and ``exon_starts = EXON_START + 1``, as 1.3.1 reads
it.
"""

import bisect
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ..io.contig import ContigMap
from ..errors import InputError, UsageError
from ..io.files import open_text

TABLE_COLUMNS = ["#NAME", "CHROM", "STRAND", "TX_START", "TX_END", "EXON_START", "EXON_END"]


@dataclass
class Gene:
    name: str
    chrom: str
    strand: str
    tx_start: int  # 1-based, inclusive
    tx_end: int  # 1-based, inclusive
    exon_starts: list = field(default_factory=list)  # 1-based first base of each exon
    exon_ends: list = field(default_factory=list)  # 1-based last base of each exon
    transcript: str = ""
    # What a GTF/GFF3 tells about the transcript (tables have none): shown by ``serve``, never
    # used in scoring. Tags are normalised (lower case, '_' for spaces: mane_select, basic, ...).
    gene_id: str = ""
    tags: tuple = ()
    cds: tuple = None  # (first, last) 1-based base of the coding sequence; None if non-coding
    biotype: str = ""  # transcript_type / transcript_biotype

    def splice_sites(self) -> tuple:
        """(acceptors, donors): 1-based positions of the annotated splice sites.

        Transcript ends (TSS/TES) are not splice sites. Plus strand: acceptors are exon starts
        but the first, donors exon ends but the last; minus strand the other way round."""
        starts, ends = sorted(self.exon_starts)[1:], sorted(self.exon_ends)[:-1]
        return (starts, ends) if self.strand == "+" else (ends, starts)

    def nearest_boundary(self, pos: int) -> int:
        """Offset from pos to the nearest exon start or end (the upstream one on a tie)."""
        offsets = sorted(set(self.exon_starts) | set(self.exon_ends))
        return min((b - pos for b in offsets), key=abs)


class GeneTable:
    """Genes in file order, with an overlap query by contig and position."""

    has_splice_sites = True  # False: no annotated exons, so -M 1 has nothing to mask with
    assembly = None  # the assembly the coordinates are of, where known ("GRCh38")
    contig_lengths = None  # {canonical contig: length} of that assembly (genes.assembly)

    def __init__(self, genes, name: str = ""):
        self.name = name
        self.genes = list(genes)
        self.contigs = ContigMap(dict.fromkeys(g.chrom for g in self.genes))
        self._index = {}
        self._segments = {}  # contig -> (sorted cut positions, {stretch: genes}), built on use
        by_chrom = {}
        for i, g in enumerate(self.genes):
            by_chrom.setdefault(g.chrom, []).append(i)
        for chrom, rows in by_chrom.items():
            rows = np.asarray(rows)
            starts = np.asarray([self.genes[i].tx_start for i in rows])
            ends = np.asarray([self.genes[i].tx_end for i in rows])
            self._index[chrom] = (rows, starts, ends)

    def __len__(self):
        return len(self.genes)

    def overlapping(self, chrom: str, pos: int) -> list:
        """Genes whose transcript [tx_start, tx_end] holds pos, in table order (as 1.3.1)."""
        contig = self.contigs.resolve(chrom)
        if contig is None:
            return []
        # The genes a position overlaps change only where a transcript starts or ends: the
        # answer is kept per stretch between such cuts, so sorted input (most records in the
        # stretch of the record before) pays a bisection, not a pass over the contig's genes.
        segments = self._segments.get(contig)
        if segments is None:
            rows, starts, ends = self._index[contig]
            segments = self._segments[contig] = (
                np.unique(np.concatenate([starts, ends + 1])).tolist(), {})
        cuts, known = segments
        k = bisect.bisect_right(cuts, pos)
        found = known.get(k)
        if found is None:
            rows, starts, ends = self._index[contig]
            hit = rows[(starts <= pos) & (pos <= ends)]
            found = known[k] = tuple(self.genes[i] for i in hit)
        return list(found)


class AnnotationSource(ABC):
    """A plugin contract: something that yields a :class:`GeneTable`."""

    name: str = ""
    description: str = ""
    options: tuple = ()  # keyword options ``load`` accepts (e.g. "transcripts"), besides spec

    def claims(self, spec: str) -> bool:
        """True when this source reads ``spec`` (a path) although it is not its name."""
        return False

    @abstractmethod
    def load(self, spec: str) -> GeneTable:
        """Read the genes; ``spec`` is the user's ``-A`` value (this source's name or a path)."""


def read_table(path, name: str = "") -> GeneTable:
    """Parse a SpliceAI-format gene table (plain or gzip); a bad row names its line."""
    genes = []
    with open_text(path) as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                if lineno == 1 and [f.upper() for f in fields] != TABLE_COLUMNS:
                    raise InputError(f"annotation {path}: line 1 is not the header "
                                     f"{' '.join(TABLE_COLUMNS)}")
                continue
            try:
                gname, chrom, strand, txs, txe, es, ee = fields
                starts = [int(x) + 1 for x in es.split(",") if x.strip()]
                ends = [int(x) for x in ee.split(",") if x.strip()]
                gene = Gene(gname, chrom, strand, int(txs) + 1, int(txe), starts, ends)
            except ValueError:
                raise InputError(f"annotation {path}, line {lineno}: expected 7 tab-separated "
                                 f"columns {' '.join(TABLE_COLUMNS)}") from None
            if strand not in ("+", "-"):  # a substring test would pass "" and "+-"
                raise InputError(f"annotation {path}, line {lineno}: STRAND {strand!r} of {gname} "
                                 f"is not + or -")
            if len(starts) != len(ends) or not starts \
                    or gene.tx_start > gene.tx_end:
                raise InputError(f"annotation {path}, line {lineno}: bad strand, exon lists or "
                                 f"transcript extent for {gname}")
            genes.append(gene)
    return GeneTable(genes, name=name or os.path.basename(str(path)))
