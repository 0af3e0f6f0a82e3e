"""The output target of a run: where bytes go, how a write error stops the run, and the final rename.

A regular file (or a name not yet taken) is written as ``OUT.partial`` beside it and renamed over
``OUT`` only when the run completes, under a lock that refuses a second run on the same ``OUT``.
Anything else is written directly and never renamed over: ``-`` (stdout), a device node such as
``/dev/null`` or ``/dev/full``, a FIFO. A symlink is followed: its target is what gets written,
and the link stays a link. Every write error (disk full, file too large, a closed pipe) becomes
one :class:`OutputError`, so the run stops with a one-line message and a non-zero exit, and a
partial output is never renamed as complete.
"""

import errno
import fcntl
import os
import stat
import struct
import sys
import zlib

from ..errors import OutputError, UsageError
from .files import BGZF_EOF

PARTIAL_SUFFIX = ".partial"


def check_writable_path(path: str, what: str) -> None:
    """Refuse, before any work, a file name whose directory is missing or that is a directory."""
    if path == "-":
        return
    if os.path.isdir(path):
        raise UsageError(f"{what} {path}: is a directory; give a file name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) and not os.path.exists(path):
        raise UsageError(f"{what} {path}: directory {parent} is not writable")


class OutputTarget:
    """One ``-o`` of a run: ``working`` is where writers write, ``commit`` publishes it."""

    def __init__(self, path: str, what: str = "output"):
        check_writable_path(path, what)
        self.path, self.what = path, what
        self.direct = path == "-"
        self.real = path
        if not self.direct and os.path.exists(path):
            mode = os.stat(path).st_mode
            if stat.S_ISDIR(mode):
                raise UsageError(f"{what} {path}: is a directory; give a file name")
            # A device, FIFO or /dev/stdout (a link to a pipe, whose target has no path): written
            # through the name given, never renamed over and never locked beside.
            self.direct = not stat.S_ISREG(mode)
        if not self.direct:
            self.real = os.path.realpath(path)
        self.working = self.real if self.direct else self.real + PARTIAL_SUFFIX
        if not self.direct and os.path.lexists(self.working) \
                and not stat.S_ISREG(os.lstat(self.working).st_mode):
            raise UsageError(f"{what} {path}: {self.working} exists and is not a regular file "
                             f"(a symbolic link?); remove it")
        self._lock = None

    @property
    def lock_path(self):
        return None if self.direct else self.real + ".lock"

    def lock(self) -> None:
        """Hold ``OUT.lock`` for the run; a second run on the same output is refused."""
        if self.direct:
            return
        name = self.lock_path
        while True:
            try:
                fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
            except OSError as exc:
                why = "it is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
                raise UsageError(f"{self.what} {self.path}: cannot create the lock {name} "
                                 f"({why})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise UsageError(f"{self.what} {self.path}: another spliceannot run is writing it "
                                 f"(lock {name} is held); wait for it or choose another -o") from None
            # The holder before us may have removed the file between our open and flock: then
            # we locked a deleted inode and must lock the file that is there now.
            try:
                same = os.stat(name).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock = (fd, name)
                return
            os.close(fd)

    def unlock(self) -> None:
        if self._lock:
            fd, name = self._lock
            self._lock = None
            try:
                os.unlink(name)
            except OSError:
                pass
            os.close(fd)

    def commit(self) -> None:
        """Publish the complete output: rename ``OUT.partial`` over ``OUT`` (regular files only)."""
        if self.direct:
            return
        try:
            if os.path.exists(self.real) and not stat.S_ISREG(os.stat(self.real).st_mode):
                raise OutputError(f"{self.what} {self.path} is no longer a regular file; the complete "
                                  f"output is kept in {self.working}")
            os.replace(self.working, self.real)
        except OSError as exc:
            raise OutputError(f"cannot rename {self.working} to {self.real} ({exc.strerror}); "
                              f"the complete output is kept in {self.working}") from None


def create_fresh(path: str) -> int:
    """A new file at ``path`` opened for writing, never through a link: a regular file there
    (a stale partial or temporary of ours) is removed first; anything else stops the run."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise OutputError(f"{path} exists and is not a regular file (a symbolic link?); "
                              f"remove it")
        os.unlink(path)
    except FileNotFoundError:
        pass
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    except FileExistsError:  # made again between the unlink and the open: not ours
        raise OutputError(f"{path} was created by someone else while this run started; "
                          f"remove it") from None


def temporary_beside(path: str, suffix: str) -> str:
    """A new, empty file in ``path``'s directory with a name of its own (O_EXCL, a random
    name), for temporaries that must be renamed over ``path``. Created with mode 0666 less the
    umask, as every other output: mkstemp's 0600 would survive the rename."""
    import secrets

    folder = os.path.dirname(os.path.abspath(path))
    for _ in range(100):
        name = os.path.join(folder, f"{os.path.basename(path)}.{secrets.token_hex(4)}{suffix}")
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return name
    raise OutputError(f"cannot make a temporary file beside {path}")


def write_error(exc: OSError, path: str) -> OutputError:
    """The one-line error for a failed write; a closed pipe also silences stdout for good."""
    if exc.errno == errno.EPIPE:
        _silence_stdout()
        return OutputError(f"output {path}: the reader closed the pipe; stopped")
    why = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        why += " (disk full or file size limit)"
    return OutputError(f"cannot write output {path}: {why}")


def _silence_stdout() -> None:
    # Python flushes stdout at exit; after EPIPE that flush would print a second traceback.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class ByteSink:
    """A binary output stream whose every failure is an :class:`OutputError`."""

    def __init__(self, path: str, name: str = None, append: bool = False, fresh: bool = None):
        """``fresh`` (the default for names ending in ``.partial``): a file of our own, made
        anew with O_EXCL|O_NOFOLLOW: a stale regular file is removed first, and a symbolic link
        there is never followed (the run stops instead of writing through it)."""
        self.name = name or path
        self._owned = path != "-"
        if fresh is None:
            fresh = path.endswith(PARTIAL_SUFFIX) and not append
        try:
            if path == "-":
                self._handle = sys.stdout.buffer
            elif fresh:
                self._handle = os.fdopen(create_fresh(path), "wb", buffering=1 << 16)
            elif append and path.endswith(PARTIAL_SUFFIX):
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
                self._handle = os.fdopen(fd, "ab", buffering=1 << 16)
            else:
                self._handle = open(path, "ab" if append else "wb", buffering=1 << 16)
        except OSError as exc:
            raise write_error(exc, self.name) from None
        self.failed = False

    def write(self, data: bytes) -> None:
        try:
            self._handle.write(data)
        except OSError as exc:
            self.failed = True
            raise write_error(exc, self.name) from None

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError as exc:
            self.failed = True
            raise write_error(exc, self.name) from None

    def tell(self) -> int:
        return self._handle.tell()

    def close(self) -> None:
        try:
            if self._owned:
                self._handle.close()
            else:
                self._handle.flush()
        except OSError as exc:
            if self._owned:
                try:
                    self._handle.close()  # the failed flush left the file open
                except OSError:
                    pass
            if not self.failed:
                self.failed = True
                raise write_error(exc, self.name) from None


class TextSink:
    """A text stream over a :class:`ByteSink` (optionally BGZF): bytes out exactly as read in.

    Undecodable input bytes travel as surrogate escapes and are written back unchanged."""

    def __init__(self, sink, compress: bool = False):
        self._sink = Bgzf(sink) if compress else sink

    def write(self, text: str) -> None:
        self._sink.write(text.encode("utf-8", "surrogateescape"))

    def write_bytes(self, data: bytes) -> None:
        self._sink.write(data)

    def flush(self) -> None:
        self._sink.flush()

    def tell(self) -> int:
        return self._sink.tell()

    def close(self) -> None:
        self._sink.close()


# BGZF (SAM/BAM spec section 4.1): a series of gzip members of at most 64 KiB each, carrying
# their compressed size in a "BC" extra field, ended by an empty member. Written here rather than
# by htslib so that every write error surfaces as an OSError we can report.
_BGZF_EOF = BGZF_EOF  # the end-of-file block (io/files.py), written at close
_BLOCK = 0xff00


def bgzf_block(data: bytes, level: int = 6) -> bytes:
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    payload = comp.compress(data) + comp.flush()
    head = struct.pack("<4BI2BH2BHH", 0x1f, 0x8b, 8, 4, 0, 0, 0xff, 6, ord("B"), ord("C"), 2,
                       len(payload) + 25)
    return head + payload + struct.pack("<II", zlib.crc32(data), len(data))


def compression_threads() -> int:
    """Threads that compress BGZF blocks: zlib releases the GIL, so blocks compress in parallel
    while the main thread reads and formats records (as ``bcftools --threads`` hands htslib a
    pool). ``SPLICEANNOT_BGZF_THREADS`` sets it; 0 compresses in the writing thread."""
    value = os.environ.get("SPLICEANNOT_BGZF_THREADS")
    if value is not None and value.isdigit():
        return int(value)
    return min(4, os.cpu_count() or 1)


class Bgzf:
    """BGZF compression onto a sink; ``flush`` ends the current block (a block boundary).

    Blocks are cut at the same offsets whatever the thread count, so the bytes written are the
    same; only the compression runs on a pool. Writes to the sink stay in this thread, in order,
    so every write error is still this sink's OutputError."""

    def __init__(self, sink, threads: int = None):
        self._sink = sink
        self._buf = bytearray()
        threads = compression_threads() if threads is None else threads
        self._pool = None
        if threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(threads, thread_name_prefix="bgzf")
            self._pending = []  # futures of compressed blocks, in output order
            self._depth = 4 * threads

    def write(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) < _BLOCK:
            return
        whole = len(self._buf) - len(self._buf) % _BLOCK
        view = bytes(self._buf[:whole])
        del self._buf[:whole]
        for at in range(0, whole, _BLOCK):
            self._block(view[at:at + _BLOCK])

    def _block(self, data: bytes) -> None:
        if self._pool is None:
            self._sink.write(bgzf_block(data))
            return
        self._pending.append(self._pool.submit(bgzf_block, data))
        # Blocks already compressed go out now, not only when the queue is full: what a kill -9
        # leaves in the partial (and --resume keeps) stays within a block or two of the records
        # written, as with one thread.
        while self._pending and (len(self._pending) > self._depth or self._pending[0].done()):
            self._sink.write(self._pending.pop(0).result())

    def _drain(self) -> None:
        if self._pool is not None:
            while self._pending:
                self._sink.write(self._pending.pop(0).result())

    def flush(self) -> None:
        if self._buf:
            self._block(bytes(self._buf))
            self._buf.clear()
        self._drain()
        self._sink.flush()

    def tell(self) -> int:
        return self._sink.tell()

    def close(self) -> None:
        try:
            if not self._sink.failed:  # after a failed write, only release the file
                self.flush()
                self._sink.write(_BGZF_EOF)
        finally:
            if self._pool is not None:
                for future in self._pending:
                    future.cancel()
                self._pending = []
                self._pool.shutdown(wait=True)
            self._sink.close()

    @property
    def failed(self) -> bool:
        return self._sink.failed


def side_files(path: str) -> list:
    """The files a run makes beside output ``path`` besides ``path`` itself (its partial, lock
    and the partial's counts); none for stdout, a device or a FIFO."""
    if path == "-" or (os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode)):
        return []
    real = os.path.realpath(path)
    return [real + PARTIAL_SUFFIX, real + ".lock", real + PARTIAL_SUFFIX + COUNTS_SUFFIX]


COUNTS_SUFFIX = ".counts"


def _identity(path: str) -> set:
    keys = {("path", os.path.realpath(path))}
    try:
        st = os.stat(path)
    except OSError:
        return keys
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        return set()  # /dev/null twice, a FIFO: not a file one output could destroy
    keys.add(("inode", st.st_dev, st.st_ino))
    return keys


def check_distinct(inputs, outputs) -> None:
    """Refuse, before any work, an output that names an input or another output.

    ``inputs``: ``(label, path)`` pairs; ``outputs``: ``(label, path, side_files)`` triples.
    Paths are compared resolved (links followed) and, for existing files, by (device, inode),
    so a hard link or another spelling is caught too. An output's side files (its partial and
    lock) count as that output. ``-`` as an input is stdin and never clashes with an output;
    as two outputs it is stdout twice."""
    seen = []  # (keys, label, path, what it is of that output)
    for label, path in inputs:
        if path and path != "-":
            seen.append((_identity(path), label, path, None))
    stdout = None
    for label, path, extra in outputs:
        if not path:
            continue
        if path == "-":
            if stdout:
                raise UsageError(f"{label} - and {stdout} - both write to stdout; give one a "
                                 f"file name")
            stdout = label
            continue
        names = [(path, None)] + [(p, path) for p in extra]
        mine = []
        for name, of in names:
            keys = _identity(name)
            for other_keys, other_label, other_path, other_of in seen:
                if keys & other_keys:
                    what = f"{label} {path}" if of is None else f"{label} {path} (its {name})"
                    other = other_label + " " + (other_path if other_of is None
                                                 else f"{other_of} (its {other_path})")
                    raise UsageError(f"{what} is the same file as {other}: it would be "
                                     f"overwritten; choose another name")
            mine.append((keys, label, name, of))
        seen += mine


def write_file(path: str, what: str, write) -> None:
    """A small output (summary JSON, an image) through the same discipline as a run's: locked,
    written as ``OUT.partial`` and renamed over ``OUT`` only when complete. ``write``: text, bytes
    or a callable given the working path (and writing it)."""
    target = OutputTarget(path, what)
    target.lock()
    try:
        try:
            if callable(write):
                write(target.working)
            else:
                data = write.encode() if isinstance(write, str) else write
                if path == "-":
                    sys.stdout.buffer.write(data)
                    sys.stdout.flush()
                else:
                    with open(target.working, "wb") as handle:
                        handle.write(data)
        except OSError as exc:
            if not target.direct and os.path.exists(target.working):
                os.unlink(target.working)
            raise OutputError(f"{what} {path}: cannot write it "
                              f"({exc.strerror or exc})") from None
        except BaseException:
            if not target.direct and os.path.exists(target.working):
                os.unlink(target.working)
            raise
        target.commit()
    finally:
        target.unlock()

