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


def sort_lines(reader, spans: GeneSpans):
    """The reader's body in input order, as :class:`RawLines` runs of records outside every gene
    and :class:`~spliceannot.io.vcf.Record` s of everything else (blank lines skipped)."""
    run = RawLines()  # filled by _sorted, yielded (and emptied) by it as runs complete
    try:
        yield from _sorted(reader.raw_body(), spans, run)
    except InputError:
        if run:  # what was read before the input broke off goes first
            yield run
        raise


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
