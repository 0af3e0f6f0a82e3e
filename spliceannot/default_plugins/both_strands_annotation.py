"""Built-in annotation source ``both-strands``: no gene model; every variant scored on each strand.

For genomes without annotation (or to look past it): each variant overlaps two pseudo-genes named
``+`` and ``-`` that span the whole contig, so windows are never N-masked and each strand's
predictions give one entry. Masking (-M 1) has no annotated sites to use and is refused.
"""

from spliceannot.genes import AnnotationSource, Gene, GeneTable
from spliceannot.hookspecs import hookimpl

WHOLE_CONTIG = 10**12  # past any contig end: no base of the window is masked to N


class AnyContig:
    """A ContigMap stand-in that knows every contig."""

    names: list = []

    def resolve(self, name):
        return name

    def __contains__(self, name):
        return True


class BothStrands(GeneTable):
    has_splice_sites = False

    def __init__(self):
        super().__init__([], name="both-strands")
        self.contigs = AnyContig()

    def overlapping(self, chrom, pos):
        return [Gene(strand, chrom, strand, 1, WHOLE_CONTIG, [1], [WHOLE_CONTIG], transcript="")
                for strand in "+-"]


class BothStrandsSource(AnnotationSource):
    name = "both-strands"
    description = "no annotation: score every variant on both strands (entries named + and -)"

    def load(self, spec):
        return BothStrands()


@hookimpl
def register_annotation_sources(register):
    register(BothStrandsSource())
