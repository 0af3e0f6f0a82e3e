"""The output-writer contract. One instance per run; ``write`` is called once per input record.

A writer receives each input record with its :class:`~spliceannot.records.Result` (plain data:
entries, ALT skips, reason), never the planned tasks, and renders the entries from their fields
as the run's :class:`~spliceannot.records.Output` (``self.output``) declares them, whatever the
model family. What a writer can do beyond writing is
declared on its class, so the pipeline needs no tables of writer names: ``resumable`` (--resume
continues its partial output), ``mergeable`` (Ray shards' parts merge into one output) and
``minimal_alleles`` (it wants each ALT scored in its minimal spelling).
"""

import itertools
from abc import ABC, abstractmethod

from ..errors import UsageError


class Writer(ABC):
    """A plugin contract. ``suffixes`` are the file-name endings that select this writer."""

    name: str = ""
    description: str = ""
    suffixes: tuple = ()
    resumable: bool = False  # implements completed(), write_done() and can_write()
    mergeable: bool = False  # implements header_length() (or merge()) for --engine ray
    minimal_alleles: bool = False  # the run scores ALTs in minimal spelling (Settings.minimal)
    default_format: bool = False  # chosen for stdout and unknown file names (one writer sets it)
    # Writes entries moved to another spelling (Output.movable families only): the VEP export.
    moves_entries: bool = False
    raw_lines: bool = False  # implements write_raw(): records no gene touches, as read
    # write_raw() also takes a passthrough.RawBlock (its ``data``: whole lines, one bytes block)
    raw_blocks: bool = False

    def __init__(self, path: str, reader, run_info: dict, target: str = None, output=None):
        """``path`` is where to write ('-' is stdout); ``target`` the name the output will have
        when complete (``path`` is often ``target.partial``; the type follows ``target``);
        ``reader`` the input VcfReader (for its header); ``run_info`` the settings to record
        (tool version, model, annotation, D, mask, ...); ``output`` the
        :class:`~spliceannot.records.Output` the run's entries are written as (INFO id,
        header description, fields)."""
        self.path = path
        self.target = target or path
        self.reader = reader
        self.run_info = run_info
        self.output = output

    @abstractmethod
    def write(self, record, result) -> None:
        """Write one input record (a ``vcf.Record``) with its :class:`~spliceannot.records.Result`."""

    def close(self) -> None:
        """Flush and finish the output; called once, when every record has been written."""

    def abort(self) -> None:
        """Close after a failure: keep what was written, finish nothing (default: ``close``)."""
        self.close()

    # ---- resume (resumable writers) -----------------------------------------------------------

    @classmethod
    def completed(cls, path: str):
        """The complete data lines of a partial output, in input order: an iterable read as it
        is consumed (a partial may be larger than memory)."""
        raise UsageError(f"--resume is not supported by the {cls.name} writer")

    def write_done(self, line: str) -> None:
        """Write a line taken over from the partial output, verbatim."""
        raise NotImplementedError

    def can_write(self, record) -> bool:
        """Whether ``record`` can be written at all (a first run left out those that cannot)."""
        return True

    # ---- pass-through (raw_lines writers) -----------------------------------------------------

    def write_raw(self, batch: list) -> None:
        """Write records that no gene touches, unannotated, exactly as ``write`` would with a
        ``no gene`` result, but from their bytes: ``batch`` is a list of (line number, line
        ending in one ``b"\\n"``, ``line.split(b"\\t", 9)`` without the line end) of well-formed
        body lines (:class:`spliceannot.passthrough.RawLines`)."""
        raise NotImplementedError

    # ---- merge (mergeable writers) ------------------------------------------------------------

    @classmethod
    def can_merge(cls, target: str) -> bool:
        """Whether parts written for ``target`` can be merged into it, bit for bit as one run."""
        return cls.mergeable

    @classmethod
    def header_length(cls, lines: list) -> int:
        """How many of a part's first lines are its header (kept from the first part only)."""
        n = 0
        while n < len(lines) and lines[n].startswith("#"):
            n += 1
        return n

    @classmethod
    def open_part(cls, part: str):
        """A text stream of a part file (plain text; writers of compressed parts override).
        surrogateescape: parts hold the input's bytes, whatever their encoding."""
        return open(part, newline="", encoding="utf-8", errors="surrogateescape")

    @classmethod
    def split_part(cls, handle) -> tuple:
        """(header lines, iterator over the body lines) of an open part, reading only as far
        as the header (and one body line) reaches, so a merge streams."""
        head = []
        for line in handle:
            head.append(line)
            if not line.startswith("#"):
                nxt = next(handle, None)
                if nxt is not None:
                    head.append(nxt)
                break
        n = cls.header_length(head)
        return head[:n], itertools.chain(head[n:], handle)

    @classmethod
    def merged_lines(cls, parts: list):
        """One header, then every part's body, in part order, line by line."""
        for i, part in enumerate(parts):
            with cls.open_part(part) as handle:
                header, body = cls.split_part(handle)
                if i == 0:
                    yield from header
                yield from body

    @classmethod
    def merge(cls, parts: list, path: str, target: str) -> None:
        """Write ``parts`` (complete outputs of consecutive shards, in order) into ``path``: one
        header, then every part's body. Writers whose output is not in input order override it."""
        import os

        from .output import PARTIAL_SUFFIX, create_fresh

        if path.endswith(PARTIAL_SUFFIX):  # ours: made anew, never written through a link
            out = os.fdopen(create_fresh(path), "w", newline="", encoding="utf-8",
                            errors="surrogateescape")
        else:
            out = open(path, "w", newline="", encoding="utf-8", errors="surrogateescape")
        with out:
            out.writelines(cls.merged_lines(parts))


class TextWriter(Writer):
    """A writer of plain text lines: '-' is stdout, a target name ending in .gz is gzip."""

    mergeable = True

    def __init__(self, path: str, reader, run_info: dict, target: str = None, output=None,
                 append: bool = False):
        super().__init__(path, reader, run_info, target, output)
        from .output import ByteSink, TextSink

        # Every write error becomes one OutputError; a .gz target is BGZF (gzip readers read it).
        compress = path != "-" and self.target.endswith(".gz")
        self._handle = TextSink(ByteSink(path, append=append), compress=compress)

    @classmethod
    def can_merge(cls, target: str) -> bool:
        return cls.mergeable and not target.endswith(".gz")

    def close(self) -> None:
        self._handle.close()


class RejectsWriter(TextWriter):
    """``--rejects FILE``: one TSV line per record or ALT the run left unscored, with the reason.

    Records outside every gene are listed too, as every unscored record is."""

    name = "rejects"
    description = "TSV of unscored records and ALTs with their reasons"
    HEADER = "LINE\tCHROM\tPOS\tID\tREF\tALT\tREASON\n"

    def __init__(self, path: str, reader=None, run_info: dict = None, target: str = None,
                 append: bool = False):
        """``append``: continue the rejects of an interrupted run (--resume), header and all."""
        super().__init__(path, reader, run_info or {}, target, append=append)
        if not append:
            self._handle.write(self.HEADER)

    def flush(self) -> None:
        self._handle.flush()

    def tell(self) -> int:
        """The bytes written so far (call after ``flush``)."""
        return self._handle.tell()

    def write(self, record, result) -> None:
        from ..records import NO_SCORABLE_ALT

        if result.reason is None and not result.alt_skips:
            return
        v = result.variant
        reasons = []
        if result.reason not in (None, NO_SCORABLE_ALT):
            reasons.append(result.detail or result.reason)
        reasons += [f"ALT {a}: {r}" for a, r in result.alt_skips]
        alts = ",".join(v.alts) or "."
        self._handle.write(f"{v.line}\t{v.chrom}\t{v.pos}\t{v.id}\t{v.ref}\t{alts}\t"
                           f"{'; '.join(reasons)}\n")
