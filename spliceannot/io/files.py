"""Opening input files whatever their compression: gzip and BGZF are told by their magic bytes."""

import gzip

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
