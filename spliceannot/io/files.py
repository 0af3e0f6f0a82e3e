"""Opening input files whatever their compression: gzip and BGZF are told by their magic bytes;
a BGZF input must end with BGZF's end-of-file block."""

import gzip
import os

from ..errors import InputError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path) -> bool:
    """Whether ``path`` starts like a gzip (or BGZF, which is gzip) file."""
    with open(path, "rb") as probe:
        return probe.read(2) == GZIP_MAGIC


def open_binary(path):
    """The file's bytes, decompressed where it is gzip or BGZF."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def open_text(path, newline=None, errors=None):
    """The file as text (UTF-8), decompressed where it is gzip or BGZF."""
    if is_gzip(path):
        return gzip.open(path, "rt", newline=newline, encoding="utf-8", errors=errors)
    return open(path, newline=newline, encoding="utf-8", errors=errors)


# The empty block that ends every BGZF file (SAM/BAM spec section 4.1.2). A file cut exactly
# at a block boundary inflates without error: only this missing marker tells it was cut.
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def is_bgzf(head: bytes) -> bool:
    """Whether ``head`` (18+ bytes) starts a BGZF block: gzip with the "BC" extra subfield."""
    return head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


class Tail:
    """Reads through a stream, keeping its last 28 bytes (where the BGZF EOF block lies)."""

    def __init__(self, stream):
        self._stream, self.last = stream, b""

    def read(self, size=-1):
        data = self._stream.read(size)
        if data:
            self.last = (self.last + data)[-len(BGZF_EOF):]
        return data

    def close(self):
        self._stream.close()


def check_bgzf_eof(path: str, tail: bytes = None) -> None:
    """A BGZF input must end with the EOF block; without it the file was cut short."""
    if tail is None:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - len(BGZF_EOF)))
            tail = handle.read()
    if tail != BGZF_EOF:
        raise InputError(f"input VCF {path}: BGZF input lacks its end-of-file block: the file "
                         f"was cut short (a copy or download stopped early?); if it is complete, "
                         f"recompress it with bgzip")


# How each input is named in its "no such file" line (the same words the readers use).
_INPUT_WORDS = {"input VCF": "input VCF", "-R": "reference FASTA"}


def check_inputs(inputs) -> None:
    """``(label, path)`` pairs that must exist, checked before anything heavy is imported (a
    mistyped path is reported in a blink, not after torch and the model load); '-' is stdin."""
    for label, path in inputs:
        if path and path != "-" and not os.path.exists(path):
            raise InputError(f"{_INPUT_WORDS.get(label, label)} {path}: no such file")


PLAIN_COUNT_LIMIT = 4 << 30  # bytes of plain text counted up front (about 2 s of reading)


def count_records(path):
    """The records in a VCF/BCF, where that is cheap, for a progress bar's total; else None.

    A BGZF VCF or a BCF with its index: the counts the index keeps (``bcftools index -n``). A
    plain VCF up to 4 GB: its lines not starting with '#', counted in 16 MB blocks. stdin, a
    pipe, or a compressed file without an index: None (reading it twice costs too much).
    """
    try:
        if path == "-" or not os.path.isfile(path):
            return None
        if is_gzip(path) or _is_bcf(path):
            return _indexed_count(path)
        if os.path.getsize(path) > PLAIN_COUNT_LIMIT:
            return None
        return _count_plain(path)
    except OSError:
        return None


def _is_bcf(path) -> bool:
    with open(path, "rb") as probe:
        return probe.read(3) == b"BCF"


def _indexed_count(path):
    indexes = [path + s for s in (".tbi", ".csi") if os.path.exists(path + s)]
    if not indexes or os.path.getmtime(indexes[0]) < os.path.getmtime(path):
        return None  # no index, or one older than the file: its counts may be another file's
    import pysam.bcftools

    try:
        return int(pysam.bcftools.index("-n", path).strip())
    except (pysam.utils.SamtoolsError, ValueError):
        return None  # an index without counts (tabix -C of an old version) or a stale one


def _count_plain(path) -> int:
    lines = header = 0
    in_header, last = True, b"\n"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(16 << 20), b""):
            if in_header:  # the header is at the top: count its lines once
                at = 0
                while at < len(block) and block.startswith(b"#", at):
                    end = block.find(b"\n", at)
                    if end < 0:
                        break
                    header += 1
                    at = end + 1
                in_header = at >= len(block)
            lines += block.count(b"\n")
            last = block[-1:]
    return lines - header + (last != b"\n")

