"""serve's bounds under load: a first-come model lock, request work in positions, bounded state.

* :class:`FairLock` hands the model to waiting requests in arrival order. A long request takes it
  one chunk at a time (:func:`chunks`), so a short request waits for at most one chunk of
  another's work instead of all of it (``threading.Lock`` wakes an arbitrary waiter, and a
  thread that releases and re-acquires at once usually wins again).
* :func:`work` counts what a variant costs the model in scored positions: ``2D + 1`` plus the
  bases its longer allele adds, so a 5,000-nt insertion counts its 5,000 bases.
* :func:`limit_arenas` / :func:`trim` keep glibc's allocator from holding freed memory: with
  one malloc arena per worker thread (up to 8 per core) and tracks of every size, freed blocks
  pile up per arena; two arenas and a trim after each computed request keep the resident size
  near what is live.
* :class:`AnswerCache` holds answers by size in bytes, not count.
* :class:`Bounded` keeps per-setting state (the lookups opened for one D/mask/option mix) for the
  few most recent settings only, closing what it drops, so the memory a server holds does not
  grow with the number of distinct query-parameter combinations it has seen.
"""

import ctypes
import ctypes.util
import threading
import time
from collections import OrderedDict, deque

TRIM_EVERY = 2.0  # seconds between two malloc_trim calls at most
CHUNK_WORK = 25_000  # positions scored between two deadline checks (a chunk boundary)
KEEP_SETTINGS = 4  # per-setting states kept (lookups opened for one D/mask/options mix)


def work(variant, distance: int) -> int:
    """Scored positions of one variant (or position, ``variant`` None) at ``distance``."""
    extra = 0 if variant is None else max(len(variant.ref), len(variant.alts[0])) - 1
    return 2 * distance + 1 + extra


def chunks(items: list, costs: list, limit: int = CHUNK_WORK) -> list:
    """``items`` in order, grouped so each group's cost stays within ``limit`` (a group holds at
    least one item, whatever it costs)."""
    out, group, total = [], [], 0
    for item, cost in zip(items, costs):
        if group and total + cost > limit:
            out.append(group)
            group, total = [], 0
        group.append(item)
        total += cost
    if group:
        out.append(group)
    return out


class FairLock:
    """A lock granted in arrival order; ``acquire(timeout)`` gives up (False) after ``timeout``
    seconds, leaving its place in the queue."""

    def __init__(self):
        self._cond = threading.Condition()
        self._queue = deque()
        self._held = False

    def acquire(self, timeout: float = None) -> bool:
        ticket = object()
        end = None if timeout is None else time.monotonic() + max(timeout, 0)
        with self._cond:
            self._queue.append(ticket)
            try:
                while self._held or self._queue[0] is not ticket:
                    left = None if end is None else end - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left)
                self._held = True
                return True
            finally:  # granted or given up, the ticket leaves the queue
                self._queue.remove(ticket)
                self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            if not self._held:
                raise RuntimeError("release of an unheld FairLock")
            self._held = False
            self._cond.notify_all()

    def locked(self) -> bool:
        return self._held

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


class Bounded:
    """At most ``limit`` values by key, least recently used dropped first (``drop`` called on
    each dropped value)."""

    def __init__(self, limit: int = KEEP_SETTINGS, drop=None):
        self.limit, self.drop = limit, drop
        self.items = OrderedDict()

    def get(self, key, make):
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = self.items[key] = make()
        while len(self.items) > self.limit:
            _, old = self.items.popitem(last=False)
            if self.drop is not None:
                self.drop(old)
        return value

    def __len__(self):
        return len(self.items)


def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()
_last_trim = [0.0]


def limit_arenas(arenas: int = 2) -> None:
    """glibc: at most ``arenas`` malloc arenas for the threads started from now (M_ARENA_MAX);
    elsewhere nothing."""
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(-8, arenas)  # M_ARENA_MAX


def trim() -> None:
    """glibc: hand freed heap back to the system, at most once every TRIM_EVERY seconds."""
    now = time.monotonic()
    if _LIBC is not None and now - _last_trim[0] >= TRIM_EVERY:
        _last_trim[0] = now
        _LIBC.malloc_trim(0)


class AnswerCache:
    """Answers (JSON text) by key, least recently used dropped first, at most ``limit`` bytes."""

    def __init__(self, limit: int):
        self.limit, self.size = int(limit), 0
        self.items = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            text = self.items.get(key)
            if text is not None:
                self.items.move_to_end(key)
            return text

    def put(self, key, text: str):
        cost = len(text.encode())
        with self.lock:
            if cost > self.limit:
                return
            old = self.items.pop(key, None)
            self.size -= len(old.encode()) if old is not None else 0
            self.items[key] = text
            self.size += cost
            while self.size > self.limit:
                _, dropped = self.items.popitem(last=False)
                self.size -= len(dropped.encode())

    def clear(self):
        with self.lock:
            self.items.clear()
            self.size = 0
