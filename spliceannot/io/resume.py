"""``--resume``: continue an interrupted run from a saved point of its partial output.

A killed run leaves ``OUT.partial`` whose last line or compressed block may be cut short, and
``OUT.partial.counts``: every second or so, one JSON line with the run's counts so far, how many
records it had written and how long ``--rejects`` was (flushed) at that moment. The output's own
buffers are not flushed for it (a BGZF flush would end a block early), so the resumed run takes
the last saved point whose records are all complete in the partial, writes those records again,
verbatim and streamed, into a fresh output (a cut BGZF stream cannot be appended to), checks
each against the input record it came from, cuts the rejects file back to its saved length and
appends to it, restores the counts, and scores the rest: output, rejects and summary equal an
uninterrupted run's.
"""

import gzip
import json
import logging
import os
import stat
import time
import zlib
from dataclasses import dataclass

from ..errors import InputError, UsageError
from .files import is_gzip, open_binary
from .output import COUNTS_SUFFIX, create_fresh
from .vcf import read_bcf_lines

log = logging.getLogger("spliceannot")
SAVE_SECONDS = 1.0  # how often a running output saves its counts


def completed_records(path: str):
    """The complete data lines of a partial VCF/BCF output, in order, read as they are needed
    (a partial of any size takes no memory to resume)."""
    if is_gzip(path):
        with gzip.open(path, "rb") as probe:
            try:
                is_bcf = probe.peek(3)[:3] == b"BCF"
            except (EOFError, zlib.error, OSError):
                return
        if is_bcf:
            yield from read_bcf_lines(path)
            return
    try:
        with open_binary(path) as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # a line cut short by the interruption
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if text and not text.startswith("#"):
                    yield text
    except (EOFError, zlib.error, OSError):
        pass  # the stream was cut: what came before is usable


@dataclass
class SavedPoint:
    """A moment of an interrupted run: ``records_out`` written, ``records_in`` read, ``counts``
    (:meth:`Summary.counts`), ``rejects``: the rejects file's length then (None: no --rejects)."""

    records_out: int
    records_in: int
    counts: dict
    rejects: int = None

    def to_json(self) -> str:
        return json.dumps({"records_out": self.records_out, "records_in": self.records_in,
                           "counts": self.counts, "rejects": self.rejects}) + "\n"


def saved_point(partial: str, completed) -> SavedPoint:
    """The last point saved beside ``partial`` whose records are all complete in it (None when
    none is: the run starts over). ``completed``: the partial's complete lines (streamed)."""
    try:
        handle = open(partial + COUNTS_SUFFIX, "rb")
    except OSError:
        return None
    points = []
    with handle:
        for line in handle:
            try:
                d = json.loads(line)
                points.append(SavedPoint(int(d["records_out"]), int(d["records_in"]),
                                         dict(d["counts"]), d.get("rejects")))
            except (ValueError, KeyError, TypeError):
                break  # a line cut short by the interruption
    if not points:
        return None
    complete = sum(1 for _ in completed)
    fitting = [p for p in points if p.records_out <= complete]
    return max(fitting, key=lambda p: p.records_out) if fitting else None


class CountsLog:
    """Writes the saved points of a running output into ``PARTIAL.counts``."""

    def __init__(self, partial: str, first: SavedPoint = None):
        self.path = partial + COUNTS_SUFFIX
        self._handle = os.fdopen(create_fresh(self.path), "w")
        self._last = time.monotonic()
        if first is not None:
            self._write(first)

    def save(self, summary, rejects=None, force: bool = False) -> None:
        """Save the counts now (at most every SAVE_SECONDS unless ``force``)."""
        if not force and time.monotonic() - self._last < SAVE_SECONDS:
            return
        self._last = time.monotonic()
        offset = None
        if rejects is not None:
            rejects.flush()
            offset = rejects.tell()
        self._write(SavedPoint(summary.records_out, summary.records_in, summary.counts(), offset))

    def _write(self, point: SavedPoint) -> None:
        self._handle.write(point.to_json())
        self._handle.flush()

    def close(self, remove: bool) -> None:
        self._handle.close()
        if remove:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def reopen_rejects(path: str, point: SavedPoint, header: str) -> None:
    """Cut the rejects partial of the interrupted run back to its saved length, after checking
    that it is ours (a regular file that starts with the rejects header and is long enough)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise UsageError(f"--resume: the rejects of the interrupted run ({path}) are missing; "
                         f"remove the partial output to start over") from None
    if not stat.S_ISREG(st.st_mode) or st.st_size < point.rejects:
        raise UsageError(f"--resume: {path} is not the rejects file the interrupted run wrote "
                         f"(not a regular file, or shorter than saved); remove the partial "
                         f"output to start over")
    try:
        with open_binary(path) as handle:
            first = handle.readline()
    except (EOFError, zlib.error, OSError):
        first = b""
    if first.decode("utf-8", "replace") != header:
        raise UsageError(f"--resume: {path} does not start with the rejects header; remove the "
                         f"partial output to start over")
    fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    try:
        os.ftruncate(fd, point.rejects)
    finally:
        os.close(fd)


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
        if recorded.get(key) != expected.get(key) and key == "reference_hash":
            raise UsageError(f"--resume: {path} was made on another reference sequence "
                             f"({recorded.get(key, 'unrecorded')}; this run's FASTA is "
                             f"{expected.get(key, 'unset')}); rerun with that FASTA, or remove "
                             f"it to start over")
        if recorded.get(key) != expected.get(key):
            raise UsageError(f"--resume: {path} was made with other settings ({key}: "
                             f"{recorded.get(key, 'unset')}, this run: {expected.get(key, 'unset')}); "
                             f"rerun with its settings, or remove it to start over")


def replay(records, done, writer, summary, records_in: int = None):
    """Write ``done`` lines for the first input records again; return the rest of the input.
    ``records_in``: how many input records the saved point had read (those after the last
    written one were left out as malformed, and are passed over again)."""
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
    while records_in is not None and summary.records_in < records_in:
        record = next(records, None)
        if record is None:
            raise InputError("--resume: the input holds fewer records than the interrupted run read")
        summary.records_in += 1
        if record.malformed is None and writer.can_write(record):
            raise InputError(f"--resume: the partial output does not match the input at line "
                             f"{record.variant.line}; remove it to start over")
    return records


def _same_bcf(line, record):
    v = record.variant
    f = line.split("\t", 5)
    return f[0] == v.chrom and f[1] == str(v.pos) and f[3] == v.ref and \
        f[4] == (",".join(v.alts) or ".")


def resume_point(target, writer_cls, run_info: dict, resume: bool, rejects_target=None,
                 rejects_header: str = None):
    """Where --resume continues: the saved point of ``target``'s partial output (None: from the
    start, into a fresh output), after checking that the partial and its rejects (the
    :class:`OutputTarget` of --rejects, if any) are this run's."""
    working = target.working
    if not resume or target.direct:
        return None
    if os.path.isfile(working + ".old") and not os.path.islink(working + ".old"):
        # A resumed run stopped while it wrote the records again: its partial is a prefix of
        # the one it read (kept as .old until replayed), and its counts name that one's point.
        os.replace(working + ".old", working)
    if not os.path.exists(working):
        return None
    check_settings(working, run_info)
    point = saved_point(working, writer_cls.completed(working))
    if point is None:
        log.warning("--resume: %s has no saved point with all its records complete; starting "
                    "over", working)
        return None
    if rejects_target is not None:
        if point.rejects is None:
            log.warning("--resume: the interrupted run wrote no --rejects; starting over")
            return None
        if rejects_target.direct:
            raise UsageError(f"--resume continues --rejects in a file; {rejects_target.path} is "
                             f"not one")
        reopen_rejects(rejects_target.working, point, rejects_header)
    return point
