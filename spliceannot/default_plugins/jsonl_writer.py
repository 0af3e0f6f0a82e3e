"""Built-in writer ``jsonl``: one JSON object per input record (scores, transcript IDs, status)."""

import json

from spliceannot import delta
from spliceannot.hookspecs import hookimpl
from spliceannot.writer import TextWriter


def entry_dict(item) -> dict:
    """One ALT x gene as a dict; ``item`` is a delta Task (has the gene) or a bare DeltaScore."""
    score = item.result if isinstance(item, delta.Task) else item
    out = {"allele": score.alt, "symbol": score.gene}
    if isinstance(item, delta.Task) and item.gene.transcript:
        out["transcript"] = item.gene.transcript
    if score.ds is None:
        out["scored"] = False
        return out
    for name, value in zip(delta.FIELDS[2:6], score.ds):
        out[name] = round(value, 2) + 0.0  # as the VCF prints it; + 0.0 turns -0.0 into 0.0
    for name, value in zip(delta.FIELDS[6:], score.dp):
        out[name] = value
    if score.raw:
        out.update(zip(delta.RAW_FIELDS, score.raw))
    return out


class JsonlOutput(TextWriter):
    name = "jsonl"
    description = "JSON lines: a first line with the run settings, then one object per record"
    suffixes = (".jsonl", ".jsonl.gz", ".ndjson")

    def __init__(self, path, reader, run_info):
        super().__init__(path, reader, run_info)
        info = {k: v for k, v in run_info.items() if k != "target_name"}
        self._handle.write(json.dumps({"spliceannot": info}) + "\n")

    def write(self, record, plan):
        v = record.variant
        row = {"chrom": v.chrom, "pos": v.pos, "id": v.id, "ref": v.ref, "alts": v.alts}
        if plan.reason is None:
            row["status"] = "scored"
            row["scores"] = [entry_dict(item) for item in plan.items]
            if plan.alt_skips:
                row["skipped_alts"] = [{"allele": a, "reason": r} for a, r in plan.alt_skips]
        else:
            row["status"] = "unscored"
            row["reason"] = plan.reason
        self._handle.write(json.dumps(row) + "\n")



@hookimpl
def register_writers(register):
    register(JsonlOutput)
