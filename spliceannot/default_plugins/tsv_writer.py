"""Built-in writer ``tsv``: one row per record x ALT x gene; unscored records get one status row."""


from spliceannot import delta, registry
from spliceannot.hookspecs import hookimpl
from spliceannot.io.writer import TextWriter

COLUMNS = ["CHROM", "POS", "ID", "REF"] + delta.FIELDS + ["STATUS"]


def columns(raw: bool = False) -> list:
    """The header: with --raw the REF/ALT probability columns follow DP_DL."""
    return COLUMNS[:-1] + (delta.RAW_FIELDS if raw else []) + COLUMNS[-1:]


class TsvOutput(TextWriter):
    name = "tsv"
    description = "tab-separated, one row per record x ALT x gene, with a header line and a STATUS column"
    suffixes = (".tsv", ".tsv.gz", ".txt")
    writes_any_output = True

    def __init__(self, path, reader, run_info, target=None):
        super().__init__(path, reader, run_info, target)
        for key, value in run_info.items():
            self._handle.write(f"## spliceannot_{key}={value}\n")
        self._output = registry.entry_output(run_info)
        self._columns = columns(bool(run_info.get("raw"))) if self._output is None else \
            COLUMNS[:4] + list(self._output.fields) + COLUMNS[-1:]
        self._handle.write("\t".join(self._columns) + "\n")

    @classmethod
    def header_length(cls, lines):
        return super().header_length(lines) + 1  # "## key=value" lines, then the column line

    def write(self, record, result):
        v = record.variant
        head = [v.chrom, str(v.pos), v.id, v.ref]
        # The empty score fields after ALLELE and SYMBOL, before STATUS.
        blank = ["."] * (len(self._columns) - len(head) - 3)
        rows = []
        if result.reason is None:
            for entry in result.entries:
                cells = entry.format().split("|") if self._output is None else entry.columns()
                rows.append(head + cells + ["scored"])
            for alt, reason in result.alt_skips:
                rows.append(head + [alt, "."] + blank + [f"skipped: {reason}"])
        else:
            alts = ",".join(v.alts) or "."
            rows.append(head + [alts, "."] + blank + [f"unscored: {result.reason}"])
        for row in rows:
            self._handle.write("\t".join(row) + "\n")


@hookimpl
def register_writers(register):
    register(TsvOutput)
