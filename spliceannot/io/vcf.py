"""All VCF/BCF input and output (the only module that imports cyvcf2).

Text VCF (plain, gzip or BGZF, or stdin) is streamed line by line here as the input's bytes, so
a malformed line is reported with its line number and does not end the run, and what passes
through is written back byte for byte. BCF input is printed as VCF text by htslib first. The
rest of spliceannot sees :class:`~spliceannot.io.variant.Variant`; writers get back the ``Record``,
whose text line carries every INFO, FORMAT and sample column untouched.
"""

import gzip
import io
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import zlib
from dataclasses import dataclass

from ..errors import InputError
from .files import Tail, check_bgzf_eof, is_bgzf
from .vcf_header import HeaderFixer, declared
from .variant import Variant

_POS = re.compile(r"^[0-9]+$")
_CONTIG_LENGTH = re.compile(r"^##contig=<ID=([^,>]+),(?:.*,)?length=([0-9]+)")
log = logging.getLogger("spliceannot")


@dataclass
class Record:
    raw: str  # the text line; bytes that are not UTF-8 as surrogate escapes
    variant: Variant
    malformed: str = None  # why the line cannot be parsed as a VCF record, if it cannot


def output_mode(path: str) -> str:
    """cyvcf2/htslib write mode from the file name: .bcf, .vcf.gz/.vcf.bgz (BGZF), else plain."""
    name = path.lower()
    if name.endswith(".bcf"):
        return "wb"
    if name.endswith((".gz", ".bgz")):
        return "wz"
    return "w"


def _open_input(path: str):
    """A binary stream of the input, whether it is BCF, and (BGZF on stdin) the tail keeper."""
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    stream = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    head = stream.peek(18)[:18]
    tail = None
    if head[:2] == b"\x1f\x8b":
        if is_bgzf(head):
            if path == "-" or not stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
                stream = tail = Tail(stream)  # checked when the stream ends
            else:
                check_bgzf_eof(path)  # before any output is opened
        stream = gzip.GzipFile(fileobj=stream)  # gzip and BGZF alike
        try:
            head = stream.peek(4)[:4]
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"input VCF {path}: corrupt compressed data ({exc})") from None
    return stream, head[:3] == b"BCF", tail


def parse_line(line: str, number: int) -> Record:
    """Split a body line into a Variant; a line that is not 8+ tab-separated fields with an
    integer POS and a REF is kept as malformed, with the reason."""
    fields = line.split("\t", 8)  # the sample columns are the writer's, not ours
    chrom = fields[0] if fields else ""
    if len(fields) < 8:
        why = f"{len(fields)} tab-separated fields, a VCF record needs at least 8"
        return Record(line, Variant(chrom, 0, "", [], ".", number), why)
    pos, ident, ref, alt = fields[1], fields[2], fields[3], fields[4]
    if not _POS.match(pos):  # POS 0 is legal: a telomere (VCF 4.3, section 1.6.1)
        return Record(line, Variant(chrom, 0, ref, [], ident, number), f"POS {pos!r} is not a non-negative integer")
    if not ref or ref == ".":
        return Record(line, Variant(chrom, int(pos), ref, [], ident, number), "REF is empty")
    alts = [] if alt in (".", "") else alt.split(",")
    return Record(line, Variant(chrom, int(pos), ref, alts, ident or ".", number))


class VcfReader:
    def __init__(self, path: str):
        import cyvcf2

        if path != "-" and not os.path.exists(path):
            raise InputError(f"input VCF {path}: no such file")
        self.path = path
        try:
            self._stream, self.is_bcf, self._tail = _open_input(path)
        except OSError as exc:
            raise InputError(f"input VCF {path}: cannot read it ({exc})") from None
        self._added_info, self._added_meta, self._spool = {}, {}, None
        if self.is_bcf:
            self._stream = self._bcf_as_text()
        header = []
        self._first = None
        for line in self._lines():
            if line.startswith("#"):
                header.append(line)
                if line.startswith("#CHROM"):
                    break
            else:
                self._first = line
                break
        if not header or not header[0].startswith("##fileformat=VCF"):
            raise InputError(f"input VCF {path}: no VCF header (the first line must be "
                             f"'##fileformat=VCFv4.x')")
        if not header[-1].startswith("#CHROM"):
            raise InputError(f"input VCF {path}: the header has no '#CHROM' column line")
        self.header_lines = len(header)
        self.header = header
        # cyvcf2 reads the header from a small file; the body never goes through its iterator.
        with tempfile.NamedTemporaryFile("w", suffix=".vcf", delete=False) as tmp:
            tmp.write("\n".join(header) + "\n")
        try:
            self._vcf = cyvcf2.VCF(tmp.name)
        except Exception as exc:
            raise InputError(f"input VCF {path}: malformed header ({exc})") from None
        finally:
            os.unlink(tmp.name)

    def _bcf_as_text(self):
        """BCF, read by htslib and printed as VCF text into a temporary file (stdin is spooled
        first: htslib cannot re-read what was peeked), so BCF and VCF records take one path
        and keep their bytes (htslib prints strings as stored, whatever their encoding)."""
        import pysam

        source = self.path
        spool = tempfile.NamedTemporaryFile(suffix=".vcf", delete=False)
        spool.close()
        self._spool = spool.name
        try:
            if self.path == "-":
                with open(self._spool, "wb") as raw:
                    shutil.copyfileobj(self._stream, raw)  # inflated: htslib reads plain BCF
                if self._tail is not None:
                    check_bgzf_eof(self.path, self._tail.last)
                source = self._spool + ".bcf"
                os.replace(self._spool, source)
            self._stream.close()
            try:
                with pysam.VariantFile(source) as src, \
                        pysam.VariantFile(self._spool, "w", header=src.header) as dst:
                    for rec in src:
                        dst.write(rec)
            finally:
                if source != self.path:
                    os.unlink(source)
        except (EOFError, zlib.error, OSError, ValueError) as exc:
            raise InputError(f"input BCF {self.path}: cannot read it ({exc})") from None
        return open(self._spool, "rb")

    def _cut_short(self, number) -> InputError:
        """The last line of a compressed file without its line end: a record altered, not
        ended, so the input was cut short."""
        return InputError(f"input VCF {self.path}: line {number} ends without a line end: the "
                          f"compressed input was cut short")

    def _lines(self):
        number = 0
        compressed = isinstance(self._stream, gzip.GzipFile)
        try:
            for raw in self._stream:
                number += 1
                if compressed and not raw.endswith(b"\n"):
                    raise self._cut_short(number)
                # Bytes that are not UTF-8 (Latin-1 IDs, say) travel as surrogate escapes and
                # are written back unchanged: the output holds the input's bytes.
                yield raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
        except (EOFError, zlib.error, OSError) as exc:
            raise InputError(f"input VCF {self.path}: compressed input is truncated or corrupt "
                             f"after line {number} ({exc})") from None
        if self._tail is not None and not self.is_bcf:
            check_bgzf_eof(self.path, self._tail.last)

    @property
    def contigs(self) -> list:
        # Without ##contig lines cyvcf2 asks htslib for an index of its temporary header file,
        # which prints "[E::idx_find_and_load] ... /tmp/tmpXXXX.vcf", a file the user never gave.
        if not any(line.startswith("##contig=") for line in self.header):
            return []
        return list(self._vcf.seqnames)

    @property
    def contig_lengths(self) -> dict:
        """``{contig: length}`` as the header's ``##contig=<ID=..,length=..>`` lines state them."""
        out = {}
        for line in self.header:
            m = _CONTIG_LENGTH.match(line)
            if m:
                out[m.group(1)] = int(m.group(2))
        return out

    def has_info(self, info_id: str) -> bool:
        return info_id in self._added_info or info_id in declared(self.header)["INFO"]

    def add_info(self, info_id: str, number: str, type_: str, description: str) -> None:
        """Declare INFO ``info_id`` in the output header, replacing the input's own line."""
        self._added_info[info_id] = (f'##INFO=<ID={info_id},Number={number},Type={type_},'
                                     f'Description="{description}">')

    def add_meta(self, key: str, value: str) -> None:
        """A ``##key=value`` line in the output header, replacing the input's for that key."""
        self._added_meta[key] = value

    def output_header(self, extra=()) -> list:
        """The input's header lines with the added INFO and meta lines (and ``extra``) before
        ``#CHROM``; the input's own lines for those INFO IDs and meta keys are dropped."""
        infos = tuple(f"##INFO=<ID={i}," for i in self._added_info)
        metas = tuple(f"##{k}=" for k in self._added_meta)
        kept = [l for l in self.header[:-1] if not (l.startswith(infos) or l.startswith(metas))]
        added = list(self._added_info.values()) + list(extra)
        added += [f"##{k}={v}" for k, v in self._added_meta.items()]
        return kept + added + self.header[-1:]

    def raw_body(self):
        """(line number, line as read, line end included) of every body line, in order, nothing
        decoded or parsed: the pass-through path's input (:func:`parse_line` makes a Record)."""
        number = self.header_lines
        if self._first is not None:
            number += 1
            yield number, self._first.encode("utf-8", "surrogateescape") + b"\n"
        count = 0
        compressed = isinstance(self._stream, gzip.GzipFile)
        try:
            for raw in self._stream:
                count += 1
                number += 1
                if compressed and not raw.endswith(b"\n"):
                    raise self._cut_short(number)
                yield number, raw
        except (EOFError, zlib.error, OSError) as exc:
            raise InputError(f"input VCF {self.path}: compressed input is truncated or corrupt "
                             f"after line {count} ({exc})") from None
        if self._tail is not None and not self.is_bcf:
            check_bgzf_eof(self.path, self._tail.last)  # stdin: checked once it has ended

    def raw_blocks(self, size: int = 1 << 20):
        """(number of the first line, whole body lines as read) in blocks of about ``size``
        bytes, for the pass-through path's array recognition; what ``raw_body`` reads, with a
        last line that has no line end given one (a compressed input cut there is an error)."""
        number = self.header_lines
        if self._first is not None:
            number += 1
            yield number, self._first.encode("utf-8", "surrogateescape") + b"\n"
        compressed = isinstance(self._stream, gzip.GzipFile)
        rest, broken = b"", None
        try:
            # read1: what one read of the source gives, so a break loses no line before it
            for chunk in iter(lambda: self._stream.read1(size), b""):
                rest += chunk
                if len(rest) >= size:
                    cut = rest.rfind(b"\n") + 1
                    if cut:
                        yield number + 1, rest[:cut]
                        number += rest.count(b"\n", 0, cut)
                        rest = rest[cut:]
        except (EOFError, zlib.error, OSError) as exc:
            broken = exc
        if broken is not None:
            cut = rest.rfind(b"\n") + 1
            if cut:  # the lines read before the break go first
                yield number + 1, rest[:cut]
                number += rest.count(b"\n", 0, cut)
            raise InputError(f"input VCF {self.path}: compressed input is truncated or corrupt "
                             f"after line {number - self.header_lines} ({broken})")
        cut = rest.rfind(b"\n") + 1
        if cut:
            yield number + 1, rest[:cut]
            number += rest.count(b"\n", 0, cut)
        if rest[cut:]:
            if compressed:
                raise self._cut_short(number + 1)
            yield number + 1, rest[cut:] + b"\n"
        if self._tail is not None and not self.is_bcf:
            check_bgzf_eof(self.path, self._tail.last)

    def __iter__(self):
        number = self.header_lines
        lines = self._lines()
        if self._first is not None:
            lines = _chain(self._first, lines)
        for line in lines:
            number += 1
            if not line.strip():
                continue  # blank lines are not records
            yield parse_line(line, number)

    def close(self):
        self._vcf.close()
        if self._stream is not sys.stdin.buffer:
            self._stream.close()
        if self._spool is not None:
            os.unlink(self._spool)
            self._spool = None


def _chain(first, rest):
    yield first
    yield from rest


class MalformedLine(InputError):
    """A body line the writer cannot take apart."""


class VcfSink:
    """Writes each record as its input text with INFO edited: the output keeps the input's bytes.

    The INFO IDs the run declares (``reader.add_info``) are removed from every record and the
    new values appended. The header is written first; tags and contigs that records use but the
    header lacks are added to it when the run closes (the body is copied behind a new header,
    BGZF block for block). BCF is made at close from the text, once the header is complete,
    because a BCF record can only name what its header declares.
    """

    def __init__(self, path: str, reader: VcfReader, mode: str):
        from .output import ByteSink, TextSink

        self.path, self.mode, self.reader = path, mode, reader
        self.direct = path == "-" or (os.path.exists(path)
                                      and not stat.S_ISREG(os.stat(path).st_mode))
        self._fixer = HeaderFixer(reader.header)
        self._replace = tuple(reader._added_info)
        self._fixer.known["INFO"].update(self._replace)
        self._replace_raw = tuple(key.encode() for key in self._replace)
        self._last_raw = [None, None, None]  # CHROM, FILTER, FORMAT bytes write_raw checked last
        self._text_path = path
        if mode == "wb" and self.direct:  # a device or FIFO: the text waits in a temporary file
            fd, self._text_path = tempfile.mkstemp(suffix=".vcf")
            os.close(fd)
        self._sink = ByteSink(self._text_path, name=path)
        self._out = TextSink(self._sink, compress=mode == "wz")
        self._out.write("\n".join(reader.output_header()) + "\n")
        self._out.flush()  # the body starts on a BGZF block boundary: a new header can go before it
        self._body_at = None if self._text_path == "-" or (self.direct and mode != "wb") \
            else self._sink.tell()

    def can_write(self, record: Record) -> bool:
        return record.malformed is None and len(record.raw.split("\t", 8)) >= 8

    def write_line(self, line: str) -> None:
        """Write an already annotated text line (used by --resume)."""
        self._fixer.check(line.split("\t", 8), "?")
        self._out.write(line + "\n")

    def write_raw(self, batch: list) -> None:
        """Records that pass through unannotated, from their bytes (see ``Writer.write_raw``):
        each is checked against the header as ``write`` checks it, and written as read unless
        its INFO holds an ID this run replaces."""
        if hasattr(batch, "data"):  # a passthrough.RawBlock: whole lines in one bytes block
            # As read unless it holds an INFO this run replaces or a key the header lacks.
            if not any(key in batch.data for key in self._replace_raw) \
                    and batch.declared(self._fixer.known):
                self._out.write_bytes(batch.data)
                return
            batch = batch.lines()
        fixer, last, out = self._fixer, self._last_raw, []
        replace = self._replace_raw
        one = replace[0] if len(replace) == 1 else None  # the usual case: SpliceAI alone
        known_info = fixer.info_matcher()
        for number, line, fields in batch:
            fmt = fields[8] if len(fields) > 8 else None
            info = fields[7]
            if fields[0] != last[0] or fields[6] != last[1] or fmt != last[2] \
                    or not (info == b"." or known_info is not None and known_info(info)):
                fixer.check([f.decode("utf-8", "surrogateescape") for f in fields[:9]], number)
                last[:] = fields[0], fields[6], fmt
                known_info = fixer.info_matcher()
            if (one in info) if one is not None else (replace and any(k in info for k in replace)):
                if out:  # in order: what came before goes first
                    self._out.write_bytes(b"".join(out))
                    out = []
                text = line.decode("utf-8", "surrogateescape").rstrip("\n")
                self.write(Record(text, Variant("", 0, "", [], ".", number)), {})
                continue
            out.append(line)
        if out:
            self._out.write_bytes(b"".join(out))

    def write(self, record: Record, info: dict) -> None:
        fields = record.raw.split("\t", 8)
        if len(fields) < 8:
            raise MalformedLine(f"line {record.variant.line}: {len(fields)} tab-separated "
                                f"fields, a VCF record needs at least 8")
        self._fixer.check(fields, record.variant.line)
        column = fields[7]
        if not info and not any(key in column for key in self._replace):
            self._out.write(record.raw + "\n")  # passes through as read
            return
        items = [] if column == "." else [
            item for item in column.split(";") if item.partition("=")[0] not in self._replace]
        items += [f"{key}={value}" for key, value in info.items()]
        fields[7] = ";".join(items) or "."
        self._out.write("\t".join(fields) + "\n")

    def close(self, complete: bool = True) -> None:
        """Finish the output; ``complete=False`` (after a failure) only closes the file."""
        self._out.close()
        if not complete:
            if self._text_path != self.path:
                os.unlink(self._text_path)
            return
        if self._fixer.lines:
            if self._body_at is None:
                log.warning("the header already written to %s lacks %d declaration(s) of tags "
                            "the records use (as bcftools view writes them)", self.path,
                            len(self._fixer.lines))
            else:
                self._rewrite_header()
        if self.mode == "wb":
            self._to_bcf()

    def _rewrite_header(self) -> None:
        from .output import Bgzf, ByteSink, temporary_beside

        # A name of our own (mkstemp), never a fixed one a link could already occupy.
        tmp = temporary_beside(self._text_path, ".header")
        sink = ByteSink(tmp, name=self.path)
        try:
            head = ("\n".join(self.reader.output_header(self._fixer.lines)) + "\n").encode(
                "utf-8", "surrogateescape")
            if self.mode == "wz":
                block = Bgzf(sink)
                block.write(head)
                block.flush()
            else:
                sink.write(head)
            with open(self._text_path, "rb") as src:
                src.seek(self._body_at)
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    sink.write(chunk)
            sink.close()
            os.replace(tmp, self._text_path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _to_bcf(self) -> None:
        import pysam

        from ..errors import OutputError
        from .output import temporary_beside, write_error

        target = self.path if self.direct else temporary_beside(self.path, ".bcf")
        try:
            with pysam.VariantFile(self._text_path) as src:
                header = src.header.copy()
                if "END" not in header.info:
                    # htslib writes INFO/END into BCF records with symbolic ALTs; undeclared, it
                    # makes records that no reader accepts.
                    header.add_line('##INFO=<ID=END,Number=1,Type=Integer,'
                                    'Description="End position of the variant">')
                with pysam.VariantFile(target, "wb", header=header) as dst:
                    for rec in src:
                        dst.write(rec)
        except OSError as exc:
            if not self.direct and os.path.exists(target):
                os.unlink(target)
            raise write_error(exc, self.path) from None
        except ValueError as exc:  # htslib refused a record the text output passed through
            if not self.direct and os.path.exists(target):
                os.unlink(target)
            raise OutputError(f"cannot write BCF {self.path}: {exc}") from None
        if self.direct:
            os.unlink(self._text_path)
        else:
            os.replace(target, self.path)


def read_bcf_lines(path: str):
    """Records of a (possibly cut) BCF file as VCF text lines, up to the first unreadable one,
    read as they are needed."""
    import cyvcf2

    try:
        for raw in cyvcf2.VCF(path):
            yield str(raw).rstrip("\n")
    except Exception:
        return
