"""Built-in annotation source ``gtf``: GTF/GFF3 files (Ensembl, GENCODE, RefSeq, NCBI), plain or gzip."""

from spliceannot.genes import AnnotationSource
from spliceannot.hookspecs import hookimpl


class GtfFile(AnnotationSource):
    name = "gtf"
    description = ("a GTF or GFF3 file (plain or gzip); --transcripts canonical|mane|all|locus "
                   "picks the transcripts; parsed once, then cached")
    options = ("transcripts",)

    def claims(self, spec):
        from spliceannot.genes import gtf

        return str(spec).lower().endswith(gtf.SUFFIXES)

    def load(self, spec, transcripts="canonical"):
        from spliceannot.genes import gtf

        return gtf.load(spec, transcripts=transcripts)


@hookimpl
def register_annotation_sources(register):
    register(GtfFile())
