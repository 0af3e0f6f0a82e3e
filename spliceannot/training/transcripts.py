"""Training annotation: one transcript per gene from a GTF/GFF3 or a SpliceAI table.

GTF/GFF3 files are read by the shared reader :mod:`spliceannot.genes.gtf` (pyranges, plain or gzip)
and its ``canonical`` policy picks one transcript per gene: MANE Select tag, else Ensembl
canonical tag, else longest CDS, else longest spliced length, else lowest transcript ID.
Protein-coding only by default: a transcript counts as coding when it has CDS features (TAIR10,
WormBase, FlyBase, RefSeq and Ensembl all carry CDS rows). Only exon/CDS rows build transcripts,
so the KorfLab evidence tracks (``RNASeq_*`` sources: intron and transcript_region rows) never
contribute; only gene-model sources (TAIR10, WormBase, FlyBase) do. A SpliceAI table already has
one transcript per gene and is used as it is.
"""

import os

from ..genes import read_table
from ..errors import InputError

TABLE_SUFFIXES = (".txt", ".txt.gz", ".tsv", ".tsv.gz")


def load_genes(path, coding_only: bool = True) -> list:
    """:class:`spliceannot.genes.Gene` objects, one per gene, sorted by contig and start."""
    from ..genes import gtf

    if not os.path.exists(path):
        raise InputError(f"annotation {path}: no such file")
    if str(path).lower().endswith(TABLE_SUFFIXES):
        return list(read_table(path).genes)
    transcripts = gtf.read_transcripts(path)
    if coding_only:
        transcripts = [t for t in transcripts if t.cds_length > 0]
    genes = [t.to_gene() for t in gtf.select(transcripts, "canonical")]
    genes = [g for g in genes if g.strand in ("+", "-")]
    genes.sort(key=lambda g: (g.chrom, g.tx_start, g.name))
    return genes
