"""serve's bounds under load: a first-come model lock, request work in positions, bounded state.

* :class:`FairLock` hands the model to waiting requests in arrival order. A long request takes it
  one chunk at a time (:func:`chunks`), so a short request waits for at most one chunk of
  another's work instead of all of it (``threading.Lock`` wakes an arbitrary waiter, and a
  thread that releases and re-acquires at once usually wins again).
* :func:`work` counts what a variant costs the model in scored positions: ``2D + 1`` plus the
  bases its longer allele adds, so a 5,000-nt insertion counts its 5,000 bases.
* :class:`Bounded` keeps per-setting state (the lookups opened for one D/mask/option mix) for the
  few most recent settings only, closing what it drops, so the memory a server holds does not
  grow with the number of distinct query-parameter combinations it has seen.
"""

import threading
import time
from collections import OrderedDict, deque

CHUNK_WORK = 60_000  # positions scored between two deadline checks (a chunk boundary)
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
