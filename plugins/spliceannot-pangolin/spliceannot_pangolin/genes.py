"""Annotation source ``pangolin-genes``: genes and annotated sites as Pangolin's database holds them.

Pangolin's ``create_db.py`` keeps a GTF's ``gene`` lines whole and, of transcripts and exons, only
those tagged ``Ensembl_canonical``; its CLI then takes the genes with start < POS <= end
(gffutils' region query on POS - 1, then its own test), keyed by ``gene_id``, and their kept
exons' starts and ends as the annotated sites. This source builds the same from the core's GTF
and GFF3 reader (:mod:`spliceannot.genes.gtf`, parsed once and cached), grouping transcripts by
gene:

* the genes are the file's ``gene`` lines (their extent, keyed by ``gene_id``, in file order),
  as in Pangolin's database; a GTF without ``gene`` lines (RefSeq, UCSC exports) gives one
  gene per ``gene_id`` spanning all its transcripts;
* its sites are the exons of its ``Ensembl_canonical`` transcripts in transcript order (GENCODE's
  file order: descending on '-'), or of every transcript with ``--transcripts all``
  (``create_db.py --filter None``). A gene without such a transcript is still scored (with -M 1:
  ``Warnings:NoAnnotatedSitesToMaskForThisGene``).
* An annotation with no ``Ensembl_canonical`` tag at all (RefSeq, UCSC) would give Pangolin no
  sites anywhere; there each gene's sites are those of the core's canonical pick (MANE Select,
  then the longest CDS, ...), and the run says so once.
"""

import logging

from spliceannot import AnnotationSource, Gene, GeneTable
from spliceannot.errors import UsageError

log = logging.getLogger("spliceannot")
NAME = "pangolin-genes"
TAG = "ensembl_canonical"  # create_db.py's default --filter, as the core's reader normalises tags
POLICIES = ("canonical", "all")


class PangolinGenes(GeneTable):
    """Genes in annotation order, each with its annotated exons; ``overlapping`` answers with
    Pangolin's rule (start < POS <= end) on the contig spelled as the FASTA spells it."""

    def __init__(self, genes, name: str = ""):
        super().__init__(genes, name=name)
        self.by_chrom = {}
        for g in self.genes:
            self.by_chrom.setdefault(g.chrom, []).append(g)

    def overlapping(self, chrom: str, pos: int) -> list:
        return [g for g in self.by_chrom.get(chrom, ()) if g.tx_start < pos <= g.tx_end]


def genes_from(transcripts: list, policy: str = "canonical", lines=()) -> tuple:
    """(Genes, whether the sites are Pangolin's tag rule). With ``gene`` lines
    (``[contig, gene_id, start, end, strand]``), the genes are those lines, in file order, as
    Pangolin's database holds them; without, one per gene_id of the transcripts, in order of
    first appearance, spanning them all."""
    from spliceannot.plugin import select_transcripts

    tagged = any(TAG in t.tags for t in transcripts)
    if policy == "all":
        kept = {id(t) for t in transcripts}
    elif tagged:
        kept = {id(t) for t in transcripts if TAG in t.tags}
    else:
        kept = {id(t) for t in select_transcripts(transcripts, "canonical")}
    groups = {}
    for t in transcripts:
        groups.setdefault((t.chrom, t.gene_id or t.symbol or t.id), []).append(t)
    if not lines:
        lines = [[chrom, gid, min(t.exons[0][0] for t in members),
                  max(e for t in members for _, e in t.exons), members[0].strand]
                 for (chrom, gid), members in groups.items()]
    genes = []
    for chrom, gid, start, end, strand in lines:
        sites = []
        for t in groups.get((chrom, gid), ()):
            if id(t) in kept:
                sites += t.exons if t.strand != "-" else t.exons[::-1]
        genes.append(Gene(gid, chrom, strand, start, end, [s for s, _ in sites],
                          [e for _, e in sites], gene_id=gid))
    return genes, tagged or policy == "all"


class PangolinGenesSource(AnnotationSource):
    name = NAME
    description = ("genes as Pangolin's create_db.py keeps them (whole genes, the exons of "
                   "Ensembl_canonical transcripts) from a GTF/GFF3; what --model pangolin reads "
                   "-A with")
    options = ("transcripts",)

    def load(self, spec, transcripts=None):
        import os

        from spliceannot.plugin import cached_transcripts, gene_lines

        policy = transcripts or "canonical"
        if policy not in POLICIES:
            raise UsageError(f"--transcripts {transcripts}: Pangolin keeps the exons of "
                             f"'Ensembl_canonical' transcripts (canonical) or of all (all)")
        if not os.path.isfile(spec):
            raise UsageError(f"annotation {spec}: Pangolin needs a GTF/GFF3 file (-A PATH)")
        genes, pangolins = genes_from(cached_transcripts(spec), policy, gene_lines(spec))
        if not pangolins:
            log.info("annotation %s has no Ensembl_canonical tags: each gene's annotated sites "
                     "are those of its canonical transcript (MANE Select, longest CDS, ...)",
                     spec)
        return PangolinGenes(genes, name=os.path.basename(str(spec)))
