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
