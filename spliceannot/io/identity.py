"""Content identity of input files, computed once per file and kept by its stat.

Two kinds of digest, each written to a small JSON store keyed by the file's size, mtime, ctime
and inode, so a later run pays one ``stat`` and one small read instead of rereading the file:

* per-contig MD5s of a FASTA, as ``samtools dict`` writes M5 and refget names a sequence: the
  MD5 of the contig's bases upper-cased, every byte outside ``!``..``~`` (whitespace) left out;
* whole-file SHA-256s (model weights, annotation files), kept under
  ``$SPLICEANNOT_CACHE_DIR/identity`` (default ``~/.cache/spliceannot``).

A FASTA's store sits beside it (``REF.fa.spliceannot-md5.json``, as ``.fai`` does) or, where
that folder is read-only, under ``$SPLICEANNOT_CACHE_DIR/identity``. A store that cannot be
written only costs time: the digests are recomputed next run. A file changed in place keeps its
inode but not its ctime, which no user tool sets back, so an edit is never hidden by a restored
mtime.
"""

import hashlib
import json
import os
import pathlib
import tempfile

CACHE_ENV = "SPLICEANNOT_CACHE_DIR"
STORE_SUFFIX = ".spliceannot-md5.json"
FORMAT = 1
CHUNK = 4 << 20  # bases read per fetch while hashing a contig: memory stays small
# Bytes a SAM M5 / refget digest leaves out: everything outside the printable range 33..126.
_DROP = bytes(range(0, 33)) + bytes(range(127, 256))


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get(CACHE_ENV) or pathlib.Path.home() / ".cache" / "spliceannot")


def stat_key(path) -> list:
    """What says a file is unchanged since it was hashed: size, mtime, ctime, inode, device."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _stores(path, beside: bool) -> list:
    """Where ``path``'s digests may be kept, in the order they are tried."""
    path = os.path.abspath(os.fspath(path))
    name = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    central = cache_dir() / "identity" / (name + ".json")
    return [pathlib.Path(path + STORE_SUFFIX), central] if beside else [central]


def load(path, beside: bool = False) -> dict:
    """The digests kept for ``path`` while it is unchanged (by stat), else {}."""
    key = stat_key(path)
    for store in _stores(path, beside):
        try:
            data = json.loads(store.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == FORMAT and data.get("stat") == key \
                and isinstance(data.get("digests"), dict):
            return dict(data["digests"])
    return {}


def save(path, digests: dict, beside: bool = False) -> None:
    """Keep ``digests`` for ``path`` as it is now; atomically, so concurrent runs never read half
    a store; the first store that can be written is used."""
    body = json.dumps({"format": FORMAT, "path": os.path.abspath(os.fspath(path)),
                       "stat": stat_key(path), "digests": digests}, sort_keys=True)
    for store in _stores(path, beside):
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=store.name + ".", dir=store.parent)
        except OSError:
            continue
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(body)
            os.replace(tmp, store)
            return
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def sequence_md5(chunks) -> str:
    """MD5 of a sequence given in pieces (str or bytes), normalised as SAM's M5 and refget are."""
    h = hashlib.md5()
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("ascii", "replace")
        h.update(chunk.upper().translate(None, _DROP))
    return h.hexdigest()


def contig_md5s(fasta_path, fetch, lengths: dict, contigs=None) -> dict:
    """``{contig: md5}`` for ``contigs`` (None: all of ``lengths``) of the FASTA at
    ``fasta_path``; ``fetch(contig, start, end)`` reads its bases. Digests kept for the file are
    reused; only the missing ones are computed, then kept."""
    kept = load(fasta_path, beside=True)
    wanted = list(lengths) if contigs is None else list(contigs)
    missing = [c for c in wanted if c not in kept]
    for contig in missing:
        n = lengths[contig]
        kept[contig] = sequence_md5(fetch(contig, start, min(n, start + CHUNK))
                                    for start in range(0, n, CHUNK))
    if missing:
        save(fasta_path, kept, beside=True)
    return {c: kept[c] for c in wanted}


def genome_digest(lengths: dict, md5s: dict) -> str:
    """One name for a genome: its contigs' names, lengths and MD5s, in name order."""
    h = hashlib.sha256()
    for name in sorted(lengths):
        h.update(f"{name}\t{lengths[name]}\t{md5s[name]}\n".encode())
    return "sha256:" + h.hexdigest()[:16]


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes (hex), kept by stat."""
    kept = load(path)
    if "sha256" in kept:
        return kept["sha256"]
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    save(path, {"sha256": digest})
    return digest


def files_digest(paths) -> str:
    """One digest for several files (a model's weights): their SHA-256s in the order given (an
    ensemble's members are averaged in order, so the order is part of what it computes)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(f"{file_sha256(p)}\n".encode())
    return "sha256:" + h.hexdigest()[:16]
