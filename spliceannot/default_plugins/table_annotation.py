"""Built-in annotation sources: SpliceAI's ``grch37``/``grch38`` tables and any table given as a path."""

from spliceannot.genes import AnnotationSource, TABLE_COLUMNS, read_table
from spliceannot.hookspecs import hookimpl


class PackagedTable(AnnotationSource):
    """A GENCODE table shipped inside the installed spliceai package."""

    def __init__(self, build: str):
        self.name = build
        self.description = f"SpliceAI 1.3.1's {build} GENCODE canonical gene table (installed spliceai)"

    def load(self, spec):
        from spliceannot.models import spliceai_package

        from spliceannot.genes.assembly import assembly_lengths

        table = read_table(spliceai_package.annotation_path(self.name), name=self.name)
        # Its coordinates are of this assembly: a FASTA of another is caught before scoring.
        table.assembly = {"grch37": "GRCh37", "grch38": "GRCh38"}[self.name]
        table.contig_lengths = assembly_lengths(table.assembly)
        return table


class TableFile(AnnotationSource):
    """A SpliceAI-format table (plain or gzip) at a path."""

    name = "table"
    description = "a SpliceAI-format gene table file: " + " ".join(TABLE_COLUMNS)

    def claims(self, spec):
        from spliceannot.io.files import open_text

        try:
            with open_text(spec) as handle:
                first = handle.readline()
        except (OSError, UnicodeDecodeError, EOFError):
            return False
        return first.rstrip("\n").split("\t")[:1] == ["#NAME"]

    def load(self, spec):
        return read_table(spec)


@hookimpl
def register_annotation_sources(register):
    register(PackagedTable("grch37"))
    register(PackagedTable("grch38"))
    register(TableFile())
