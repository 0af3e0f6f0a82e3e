"""Built-in writer ``tsv``: one row per record x ALT x gene; unscored records get one status row."""


from spliceannot import delta
from spliceannot.hookspecs import hookimpl
from spliceannot.writer import TextWriter

COLUMNS = ["CHROM", "POS", "ID", "REF"] + delta.FIELDS + ["STATUS"]


class TsvOutput(TextWriter):
    name = "tsv"
    description = "tab-separated, one row per record x ALT x gene, with a header line and a STATUS column"
    suffixes = (".tsv", ".tsv.gz", ".txt")

    def __init__(self, path, reader, run_info):
        super().__init__(path, reader, run_info)
        for key, value in run_info.items():
            if key != "target_name":
                self._handle.write(f"## spliceannot_{key}={value}\n")
        self._handle.write("\t".join(COLUMNS) + "\n")

    def write(self, record, plan):
        v = record.variant
        head = [v.chrom, str(v.pos), v.id, v.ref]
        rows = []
        if plan.reason is None:
            for entry in plan.entries():
                rows.append(head + entry.format().split("|") + ["scored"])
            for alt, reason in plan.alt_skips:
                rows.append(head + [alt, "."] + ["."] * 8 + [f"skipped: {reason}"])
        else:
            alts = ",".join(v.alts) or "."
            rows.append(head + [alts, "."] + ["."] * 8 + [f"unscored: {plan.reason}"])
        for row in rows:
            self._handle.write("\t".join(row) + "\n")



@hookimpl
def register_writers(register):
    register(TsvOutput)
