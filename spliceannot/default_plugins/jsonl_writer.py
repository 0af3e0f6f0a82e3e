"""Built-in writer ``jsonl``: one JSON object per input record (scores, transcript IDs, status)."""

import json

from spliceannot import delta, registry
from spliceannot.hookspecs import hookimpl
from spliceannot.io.writer import TextWriter


def entry_dict(score) -> dict:
    """One ALT x gene (a delta DeltaScore) as a dict, values rounded as the VCF prints them."""
    out = {"allele": score.alt, "symbol": score.gene}
    if score.transcript:
        out["transcript"] = score.transcript
    if score.ds is None:
        out["scored"] = False
        return out
    for name, value in zip(delta.FIELDS[2:6], score.ds):
        out[name] = round(value, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    for name, value in zip(delta.FIELDS[6:], score.dp):
        out[name] = value
    if score.raw:
        out.update((k, round(v, 4) + 0.0) for k, v in zip(delta.RAW_FIELDS, score.raw))
    return out


class JsonlOutput(TextWriter):
    name = "jsonl"
    description = "JSON lines: a first line with the run settings, then one object per record"
    suffixes = (".jsonl", ".jsonl.gz", ".ndjson")
    writes_any_output = True

    def __init__(self, path, reader, run_info, target=None):
        super().__init__(path, reader, run_info, target)
        self._entry = entry_dict if registry.entry_output(run_info) is None else (lambda e: e.as_dict())
        self._handle.write(json.dumps({"spliceannot": run_info}) + "\n")

    @classmethod
    def header_length(cls, lines):
        return 1

    def write(self, record, result):
        v = record.variant
        row = {"chrom": v.chrom, "pos": v.pos, "id": v.id, "ref": v.ref, "alts": v.alts}
        if result.reason is None:
            row["status"] = "scored"
            row["scores"] = [self._entry(e) for e in result.entries]
            if result.alt_skips:
                row["skipped_alts"] = [{"allele": a, "reason": r} for a, r in result.alt_skips]
        else:
            row["status"] = "unscored"
            row["reason"] = result.reason
        self._handle.write(json.dumps(row) + "\n")


@hookimpl
def register_writers(register):
    register(JsonlOutput)
