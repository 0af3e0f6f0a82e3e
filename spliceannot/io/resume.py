"""``--resume``: continue an interrupted run from the last complete record of its partial output.

A killed run leaves ``OUT.partial`` whose last line or compressed block may be cut short. Only
complete lines count. The resumed run writes those records again, verbatim, into a fresh output
(a cut BGZF stream cannot be appended to), checks that each matches the input record it came
from, then scores the rest; the result equals an uninterrupted run.
"""

import gzip
import zlib

from ..errors import InputError, UsageError
from .files import is_gzip, open_binary
from .vcf import read_bcf_lines


def completed_records(path: str) -> list:
    """The complete data lines of a partial VCF/BCF output, in order."""
    lines = []
    if is_gzip(path):
        try:
            with gzip.open(path, "rb") as handle:
                if handle.peek(3)[:3] == b"BCF":
                    return read_bcf_lines(path)
                for line in handle:
                    lines.append(line)
        except (EOFError, zlib.error, OSError):
            pass  # the stream was cut: what came before is usable
    else:
        with open(path, "rb") as handle:
            lines = handle.readlines()
    out = []
    for line in lines:
        if not line.endswith(b"\n"):
            break  # a line cut short by the interruption
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if text and not text.startswith("#"):
            out.append(text)
    return out


def check_settings(path: str, run_info: dict) -> None:
    """Refuse a partial output made with another model, annotation or settings: its header
    records them (``##spliceannot_KEY=VALUE``). The scorer may differ: every scorer is exact."""
    recorded = {}
    try:
        with open_binary(path) as handle:
            for line in handle:
                if not line.startswith(b"##"):
                    break
                key, _, value = line.decode("utf-8", "replace")[2:].rstrip("\r\n").partition("=")
                if key.startswith("spliceannot_"):
                    recorded[key[len("spliceannot_"):]] = value
    except (EOFError, zlib.error, OSError):
        pass  # a header cut short: what was read is compared
    if not recorded:
        raise UsageError(f"--resume: {path} records no spliceannot settings (not a partial "
                         f"output of this tool?); remove it to start over")
    expected = {k: str(v) for k, v in run_info.items() if k not in ("target_name", "scorer")}
    recorded.pop("scorer", None)
    for key in sorted(set(expected) | set(recorded)):
        if recorded.get(key) != expected.get(key):
            raise UsageError(f"--resume: {path} was made with other settings ({key}: "
                             f"{recorded.get(key, 'unset')}, this run: {expected.get(key, 'unset')}); "
                             f"rerun with its settings, or remove it to start over")


def replay(records, done: list, writer, summary):
    """Write ``done`` lines for the first input records again; return the rest of the input."""
    records = iter(records)
    for line in done:
        for record in records:
            same = line.split("\t", 5)[:5] == record.raw.split("\t", 5)[:5] \
                if isinstance(record.raw, str) else _same_bcf(line, record)
            summary.records_in += 1
            if same:
                writer.write_done(line)
                summary.records_out += 1
                summary.resumed += 1
                break
            if record.malformed is not None or not writer.can_write(record):
                summary.unscored["malformed VCF line"] += 1  # left out by the first run too
                continue
            raise InputError(f"--resume: the partial output does not match the input at line "
                             f"{record.variant.line}; remove it to start over")
        else:
            raise InputError("--resume: the partial output holds more records than the input")
    return records


def _same_bcf(line, record):
    v = record.variant
    f = line.split("\t", 5)
    return f[0] == v.chrom and f[1] == str(v.pos) and f[3] == v.ref and \
        f[4] == (",".join(v.alts) or ".")
