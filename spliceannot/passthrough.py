"""Records no gene touches: recognised in O(log genes) and passed through without planning.

Most records of a genome-wide call set lie outside every gene. 1.3.1 checks the gene overlap
first and leaves such records as they are; doing that check here, on merged gene spans with a
bisection, lets them skip the planner and the scorer, which is most of their cost.

Two levels. :class:`GeneSpans` answers for a parsed record (``pipeline._flush``). When the
writer takes raw lines (``Writer.raw_lines``) and the run keeps no per-record list (no
``--rejects``, no resume), :func:`sort_lines` goes further: it looks at a text line's CHROM and
POS only, and a well-formed line outside every gene on a contig of the FASTA goes to the writer
as its bytes, in a :class:`RawLines` run, without a Record, Variant or Result being made; every
other line is parsed into a Record and takes the ordinary path. The bytes written are the same
either way.
"""

import bisect
import re

import numpy as np

from .records import NO_CONTIG, NO_GENE
from .genes import GeneTable
from .errors import InputError
from .io.vcf import parse_line


class GeneSpans:
    """Merged [tx_start, tx_end] spans per VCF contig name; ``reason`` says why a record can
    bypass scoring (no gene, or a contig the FASTA lacks), or None when it must be planned."""

    def __init__(self, genes, reference):
        self._genes, self._reference = genes, reference
        self._spans = {}  # VCF contig name -> (starts, ends) of merged spans, or None
        self._raw = {}  # CHROM bytes -> (starts, ends), or None: the contig is not in the FASTA
        # A table that computes overlaps its own way (both strands everywhere) is always planned.
        self.enabled = type(genes).overlapping is GeneTable.overlapping

    def _for(self, chrom):
        contig = self._genes.contigs.resolve(chrom)
        spans = sorted((g.tx_start, g.tx_end) for g in self._genes.genes if g.chrom == contig) \
            if contig is not None else []
        starts, ends = [], []
        for s, e in spans:
            if ends and s <= ends[-1]:
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(e)
        absent = self._reference.resolve(chrom) is None
        self._spans[chrom] = (starts, ends, absent)
        return self._spans[chrom]

    def reason(self, chrom: str, pos: int):
        if not self.enabled:
            return None
        found = self._spans.get(chrom) or self._for(chrom)
        starts, ends, absent = found
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and pos <= ends[i]:
            return None
        return NO_CONTIG if absent else NO_GENE

    def raw(self, chrom: bytes):
        """(starts, ends) of a CHROM as bytes, or None where a record there needs a closer look
        (a contig the FASTA lacks is reported per record)."""
        try:
            return self._raw[chrom]
        except KeyError:
            starts, ends, absent = self._for(chrom.decode("utf-8", "surrogateescape"))
            self._raw[chrom] = None if absent else (starts, ends)
            return self._raw[chrom]


class RawLines(list):
    """Consecutive records that pass through as read: (line number, line ending in one b"\\n",
    ``line.split(b"\\t", 9)`` with no line end in any field), for ``Writer.write_raw``."""


RUN = 4096  # lines per RawLines run at most


class RawBlock(RawLines):
    """Consecutive records that pass through as read, kept as one bytes block (``data``, whole
    lines) instead of a list: recognised together by :func:`classify`, written with one write
    by a writer whose ``write_raw`` takes blocks. ``len`` is the number of records; ``lines()``
    gives the :class:`RawLines` form; ``columns()`` what the writer's header check reads."""

    def __init__(self, data: bytes, first: int, count: int, chrom: bytes, columns):
        super().__init__()
        self.data, self.first, self.count, self.chrom = data, first, count, chrom
        self._columns, self._keys = columns, None

    def __len__(self):
        return self.count

    def __bool__(self):
        return self.count > 0

    def lines(self) -> RawLines:
        run = RawLines()
        for k, raw in _numbered(self.data, 0):
            fields = raw.split(b"\t", 9)
            if len(fields) < 10:
                fields[-1] = fields[-1][:-1]
            run.append((self.first + k, raw, fields))
        return run

    def declared(self, known: dict) -> bool:
        """Whether the block's contig and every FILTER, INFO and FORMAT key it uses are in
        ``known`` (a header's IDs by kind, as ``vcf_header.declared`` gives)."""
        if self.chrom.decode("utf-8", "surrogateescape") not in known["contig"]:
            return False
        return all(key == b"." or key.decode("utf-8", "surrogateescape") in known[kind]
                   for keys, kind in zip(self.columns(), ("FILTER", "INFO", "FORMAT"))
                   for key in keys)

    def columns(self) -> tuple:
        """(FILTER values, INFO keys, FORMAT keys) the block's lines use, as sets of bytes,
        found by array operations and one split per column (no object per line)."""
        if self._keys is None:
            self._keys = _columns(*self._columns)
            self._columns = None
        return self._keys


def sort_lines(reader, spans: GeneSpans, blocks: bool = False):
    """The reader's body in input order, as :class:`RawLines` runs of records outside every gene
    and :class:`~spliceannot.io.vcf.Record` s of everything else (blank lines skipped). With
    ``blocks`` (the writer takes :class:`RawBlock`), the body is read in blocks and the records
    outside genes are recognised a block at a time, with no Python object per line."""
    run = RawLines()  # filled by _sorted, yielded (and emptied) by it as runs complete
    try:
        if blocks:
            yield from _by_block(reader.raw_blocks(), spans, run)
        else:
            yield from _sorted(reader.raw_body(), spans, run)
    except InputError:
        if run:  # what was read before the input broke off goes first
            yield run
        raise


def _by_block(blocks, spans, run):
    for first, data in blocks:
        found = classify(data, spans)
        if found is None:  # the whole block line by line
            yield from _sorted(_numbered(data, first), spans, run)
            continue
        ok, starts, ends, chrom, columns = found
        # Runs of passing lines as blocks, the others line by line, in input order.
        edges = np.flatnonzero(np.diff(ok.astype(np.int8))) + 1
        bounds = [0, *edges.tolist(), len(ok)]
        for a, b in zip(bounds, bounds[1:]):
            if ok[a]:
                if run:
                    yield RawLines(run)
                    run.clear()
                yield RawBlock(data[starts[a]:ends[b - 1] + 1], first + a, b - a, chrom,
                               (data, starts[a:b], columns, a, b))
            else:
                yield from _sorted(_numbered(data[starts[a]:ends[b - 1] + 1], first + a),
                                   spans, run)
    if run:
        yield RawLines(run)
        run.clear()


def _numbered(data, first):
    """(number, line with its b"\\n") of whole lines; only b"\\n" ends a line, as when a file
    is iterated (a lone b"\\r" inside a line stays in it)."""
    lines = data.split(b"\n")
    lines.pop()  # data ends with b"\n": nothing after it
    for k, raw in enumerate(lines):
        yield first + k, raw + b"\n"


def classify(data: bytes, spans: GeneSpans):
    """Which lines of ``data`` (whole lines, each ending in ``b"\\n"``) pass through as read, by
    array operations over the block: a well-formed record (8+ fields, digits for POS, a REF) on
    the block's first contig, that contig in the FASTA, POS outside every gene. Returns (mask,
    line starts, line ends, CHROM, the column offsets ``keys`` reads) or None where the block
    must go line by line (carriage returns, a first line that is no record)."""
    if b"\r" in data or not data.endswith(b"\n"):
        return None
    buf = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.empty(len(ends), np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    tabs = np.flatnonzero(buf == 9)
    first = np.searchsorted(tabs, starts)
    count = np.searchsorted(tabs, ends) - first  # tabs per line
    padded = np.concatenate([tabs, np.full(10, len(buf), np.int64)])
    tab = [padded[first + k] for k in range(9)]  # the k-th tab of each line (0-based)
    if count[0] < 7:
        return None
    chrom = data[:tab[0][0]]
    found = spans.raw(chrom)
    if found is None:  # a contig the FASTA lacks: reported per record
        return None
    last = len(buf) - 1
    ok = (count >= 7) & (tab[0] - starts == len(chrom))
    for j, byte in enumerate(chrom):
        ok &= buf[np.minimum(starts + j, last)] == byte
    digits = tab[1] - tab[0] - 1
    ok &= (digits >= 1) & (digits <= 10)
    pos = np.zeros(len(ends), np.int64)
    for j in range(10):
        inside = j < digits
        if not inside.any():
            break
        d = buf[np.minimum(tab[0] + 1 + j, last)].astype(np.int64) - 48
        ok &= ~inside | ((d >= 0) & (d <= 9))
        pos = np.where(inside, pos * 10 + d, pos)
    ref = tab[3] - tab[2] - 1
    ok &= (ref >= 1) & ~((ref == 1) & (buf[np.minimum(tab[2] + 1, last)] == ord(".")))
    gene_starts, gene_ends = (np.asarray(x, np.int64) for x in found)
    i = np.searchsorted(gene_starts, pos, side="right") - 1
    in_gene = (i >= 0) & (pos <= gene_ends[np.maximum(i, 0)]) if len(gene_starts) else False
    ok &= ~in_gene & (pos > 0)
    columns = (tab[5] + 1, tab[6], np.where(count >= 8, tab[7], ends),
               np.where(count >= 9, tab[8], ends), count >= 8)
    return ok, starts, ends, chrom, columns


def _columns(data, starts, columns, a, b) -> tuple:
    filter_at, filter_end, info_end, format_end, has_format = (c[a:b] for c in columns)
    buf = np.frombuffer(data, np.uint8)
    filters = _distinct(data, buf, filter_at, filter_end)
    fmt_begin, fmt_end = info_end[has_format] + 1, format_end[has_format]
    formats = _distinct(data, buf, fmt_begin, fmt_end) if len(fmt_begin) else set()
    # INFO keys: the column with its values (from "=" to the next ";") dropped, compared line
    # by line with the first line's; only lines whose keys differ become objects.
    lo, hi = int(filter_end[0]) + 1, int(info_end[-1])
    part = buf[lo:hi]
    inside = np.zeros(hi - lo + 1, np.int8)
    inside[filter_end + 1 - lo] += 1
    inside[info_end - lo] -= 1
    inside = np.cumsum(inside[:-1], dtype=np.int8) > 0
    at = np.arange(hi - lo, dtype=np.int32)
    last_eq = np.maximum.accumulate(np.where(inside & (part == 61), at, -1))  # "="
    last_sep = np.maximum.accumulate(np.where(~inside | (part == 59), at, -1))  # ";"
    keep = inside & (last_eq <= last_sep)
    before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    skeleton = part[keep].tobytes()
    infos = set()
    for layout in _distinct(skeleton, np.frombuffer(skeleton, np.uint8),
                            before[filter_end + 1 - lo], before[info_end - lo]):
        infos.update(layout.split(b";"))
    return filters, infos - {b""}, {k for f in formats for k in f.split(b":")} - {b""}


def _distinct(data, buf, begin, end) -> set:
    """The distinct values of the segments ``data[begin[i]:end[i]]``: each compared with the
    first by array operations; only segments that differ from it are sliced one by one."""
    first = data[begin[0]:end[0]]
    same = (end - begin) == len(first)
    last = max(len(buf) - 1, 0)
    for j, byte in enumerate(first):
        same &= buf[np.minimum(begin + j, last)] == byte
    found = {first}
    for lo, hi in zip(begin[~same].tolist(), end[~same].tolist()):
        found.add(data[lo:hi])
    return found


def _sorted(body, spans, run):
    bisect_right = bisect.bisect_right
    contigs = {}  # CHROM bytes -> spans.raw(CHROM), looked up once per contig
    for number, raw in body:
        if not raw.endswith(b"\n") or b"\r" in raw:
            raw = raw.rstrip(b"\r\n") + b"\n"  # as the text path reads it: one LF ends it
        fields = raw.split(b"\t", 9)
        if len(fields) >= 8 and fields[1].isdigit() and fields[3] not in (b"", b"."):
            chrom = fields[0]
            found = contigs.get(chrom, 0)
            if found == 0:
                found = contigs[chrom] = spans.raw(chrom)
            pos = int(fields[1])
            if found is not None and pos > 0:
                starts, ends = found
                i = bisect_right(starts, pos) - 1
                if i < 0 or pos > ends[i]:  # outside every gene: as read
                    if len(fields) < 10:
                        fields[-1] = fields[-1][:-1]  # the line end is no part of a field
                    run.append((number, raw, fields))
                    if len(run) >= RUN:
                        yield RawLines(run)
                        run.clear()
                    continue
        elif not raw.strip():
            continue  # a blank line is no record (and ends no run)
        if run:
            yield RawLines(run)
            run.clear()
        text = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
        if text.strip():
            yield parse_line(text, number)
    if run:
        yield RawLines(run)
        run.clear()
