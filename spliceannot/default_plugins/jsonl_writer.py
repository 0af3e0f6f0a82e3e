"""Built-in writer ``jsonl``: one JSON object per input record (scores, transcript IDs, status).

Each entry is an object of its fields (:meth:`spliceannot.records.Output.json`: the family's JSON
names, numbers rounded as its text prints them, ``"scored": false`` for an entry without values).
"""

import json

from spliceannot.hookspecs import hookimpl
from spliceannot.io.writer import TextWriter


class JsonlOutput(TextWriter):
    name = "jsonl"
    description = "JSON lines: a first line with the run settings, then one object per record"
    suffixes = (".jsonl", ".jsonl.gz", ".ndjson")

    def __init__(self, path, reader, run_info, target=None, output=None):
        super().__init__(path, reader, run_info, target, output)
        self._handle.write(json.dumps({"spliceannot": run_info}) + "\n")

    @classmethod
    def header_length(cls, lines):
        return 1

    def write(self, record, result):
        v = record.variant
        row = {"chrom": v.chrom, "pos": v.pos, "id": v.id, "ref": v.ref, "alts": v.alts}
        if result.reason is None:
            row["status"] = "scored"
            row["scores"] = [self.output.json(e) for e in result.entries]
            if result.alt_skips:
                row["skipped_alts"] = [{"allele": a, "reason": r} for a, r in result.alt_skips]
        else:
            row["status"] = "unscored"
            row["reason"] = result.reason
        self._handle.write(json.dumps(row) + "\n")


@hookimpl
def register_writers(register):
    register(JsonlOutput)
