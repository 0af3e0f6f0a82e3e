"""Built-in writer ``tsv``: one row per record x ALT x entry; unscored records get one status row.

The columns between REF and STATUS are the fields the run's model family declares
(:class:`~spliceannot.records.Output`), each cell the entry's own value: SpliceAI's ALLELE,
SYMBOL, DS_*, DP_* (and the --raw probabilities), Pangolin's ALLELE, GENE, SCORES, WARNINGS.
"""

from spliceannot.hookspecs import hookimpl
from spliceannot.io.writer import TextWriter
from spliceannot.records import status

HEAD = ["CHROM", "POS", "ID", "REF"]
# STATUS: scored, no scores (an entry the family leaves without values: 1.3.1's MNVs),
# skipped: REASON (one ALT) or unscored: REASON (the record); records.rows (the API) says the same.
STATUS = "STATUS"


def columns(output) -> list:
    """The header line's columns for a run's :class:`~spliceannot.records.Output`."""
    return HEAD + list(output.fields) + [STATUS]


class TsvOutput(TextWriter):
    name = "tsv"
    description = "tab-separated, one row per record x ALT x gene, with a header line and a STATUS column"
    suffixes = (".tsv", ".tsv.gz", ".txt")

    def __init__(self, path, reader, run_info, target=None, output=None):
        super().__init__(path, reader, run_info, target, output)
        for key, value in run_info.items():
            self._handle.write(f"## spliceannot_{key}={value}\n")
        self._handle.write("\t".join(columns(output)) + "\n")

    @classmethod
    def header_length(cls, lines):
        return super().header_length(lines) + 1  # "## key=value" lines, then the column line

    def write(self, record, result):
        v = record.variant
        head = [v.chrom, str(v.pos), v.id, v.ref]
        output = self.output
        # The empty fields after the first (ALLELE), before STATUS.
        blank = ["."] * (len(output.fields) - 1)
        rows = []
        if result.reason is None:
            for entry in result.entries:
                rows.append(head + output.cells(entry) + [status(entry)])
            for alt, reason in result.alt_skips:
                rows.append(head + [alt] + blank + [f"skipped: {reason}"])
        else:
            alts = ",".join(v.alts) or "."
            rows.append(head + [alts] + blank + [f"unscored: {result.reason}"])
        for row in rows:
            self._handle.write("\t".join(row) + "\n")


@hookimpl
def register_writers(register):
    register(TsvOutput)
