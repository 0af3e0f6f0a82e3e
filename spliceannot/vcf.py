"""All VCF/BCF input and output, through cyvcf2 (the only module that imports it).

Text VCF (plain, gzip or BGZF, or stdin) is streamed line by line here and each body line is
handed to htslib on its own, so a malformed line is reported with its line number and does not
end the run: cyvcf2's own iterator stops at the first line htslib cannot parse. BCF is read by
cyvcf2 directly. The rest of spliceannot sees :class:`~spliceannot.variant.Variant`; writers get
back the opaque ``Record`` so every INFO, FORMAT and sample column passes through untouched.
"""

import gzip
import io
import os
import re
import sys
import tempfile
import zlib
from dataclasses import dataclass

from .errors import InputError
from .variant import Variant

_POS = re.compile(r"^[0-9]+$")


@dataclass
class Record:
    raw: object  # the text line (text VCF) or a cyvcf2.Variant (BCF)
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
    """A binary stream of the input and whether it is BCF."""
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    stream = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    head = stream.peek(4)[:4]
    if head[:2] == b"\x1f\x8b":
        stream = gzip.GzipFile(fileobj=stream)  # gzip and BGZF alike
        try:
            head = stream.peek(4)[:4]
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"input VCF {path}: corrupt compressed data ({exc})") from None
    return stream, head[:3] == b"BCF"


def parse_line(line: str, number: int) -> Record:
    """Split a body line into a Variant; a line that is not 8+ tab-separated fields with an
    integer POS and a REF is kept as malformed, with the reason."""
    fields = line.split("\t")
    chrom = fields[0] if fields else ""
    if len(fields) < 8:
        why = f"{len(fields)} tab-separated fields, a VCF record needs at least 8"
        return Record(line, Variant(chrom, 0, "", [], ".", number), why)
    pos, ident, ref, alt = fields[1], fields[2], fields[3], fields[4]
    if not _POS.match(pos) or int(pos) < 1:
        return Record(line, Variant(chrom, 0, ref, [], ident, number), f"POS {pos!r} is not a positive integer")
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
            self._stream, self.is_bcf = _open_input(path)
        except OSError as exc:
            raise InputError(f"input VCF {path}: cannot read it ({exc})") from None
        if self.is_bcf:
            self._stream.close()
            try:
                self._vcf = cyvcf2.VCF(path)
            except Exception as exc:  # cyvcf2 raises bare Exception on a bad header
                raise InputError(f"input VCF {path}: cannot read the BCF header ({exc})") from None
            self.header_lines = 0
            return
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
        # cyvcf2 reads the header from a small file; the body never goes through its iterator.
        with tempfile.NamedTemporaryFile("w", suffix=".vcf", delete=False) as tmp:
            tmp.write("\n".join(header) + "\n")
        try:
            self._vcf = cyvcf2.VCF(tmp.name)
        except Exception as exc:
            raise InputError(f"input VCF {path}: malformed header ({exc})") from None
        finally:
            os.unlink(tmp.name)

    def _lines(self):
        number = 0
        try:
            for raw in self._stream:
                number += 1
                yield raw.decode("utf-8", "replace").rstrip("\r\n")
        except (EOFError, zlib.error, OSError) as exc:
            raise InputError(f"input VCF {self.path}: compressed input is truncated or corrupt "
                             f"after line {number} ({exc})") from None

    @property
    def contigs(self) -> list:
        return list(self._vcf.seqnames)

    def has_info(self, info_id: str) -> bool:
        try:
            self._vcf.get_header_type(info_id)
            return True
        except KeyError:
            return False

    def add_info(self, info_id: str, number: str, type_: str, description: str) -> None:
        if not self.has_info(info_id):
            self._vcf.add_info_to_header(
                {"ID": info_id, "Number": number, "Type": type_, "Description": description})

    def add_meta(self, key: str, value: str) -> None:
        self._vcf.add_to_header(f"##{key}={value}")

    def __iter__(self):
        if self.is_bcf:
            for n, raw in enumerate(self._vcf, 1):
                yield Record(raw, Variant(raw.CHROM, raw.POS, raw.REF, list(raw.ALT),
                                          raw.ID or ".", line=n))
            return
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
        if not self.is_bcf and self._stream is not sys.stdin.buffer:
            self._stream.close()


def _chain(first, rest):
    yield first
    yield from rest


class MalformedLine(InputError):
    """htslib refused a body line."""


class VcfWriter:
    """Writes records from a :class:`VcfReader`, with the header lines added to that reader."""

    def __init__(self, path: str, reader: VcfReader, mode: str):
        import cyvcf2

        self._writer = cyvcf2.Writer(path, reader._vcf, mode=mode)

    def can_write(self, record: Record) -> bool:
        if not isinstance(record.raw, str):
            return True
        try:
            self._writer.variant_from_string(record.raw)
            return True
        except Exception:
            return False

    def write_line(self, line: str) -> None:
        """Write an already annotated text line (used by --resume)."""
        self._writer.write_record(self._writer.variant_from_string(line))

    def write(self, record: Record, info: dict) -> None:
        raw = record.raw
        if isinstance(raw, str):
            try:
                raw = self._writer.variant_from_string(raw)
            except Exception as exc:
                raise MalformedLine(f"line {record.variant.line}: htslib cannot parse it "
                                    f"({exc})") from None
        for key, value in info.items():
            raw.INFO[key] = value
        self._writer.write_record(raw)

    def close(self):
        self._writer.close()


def read_bcf_lines(path: str) -> list:
    """Records of a (possibly cut) BCF file as VCF text lines, up to the first unreadable one."""
    import cyvcf2

    lines = []
    try:
        for raw in cyvcf2.VCF(path):
            lines.append(str(raw).rstrip("\n"))
    except Exception:
        pass
    return lines
