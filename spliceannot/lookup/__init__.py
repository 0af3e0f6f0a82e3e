"""The lookup stage contract: stored scores consulted between planning and the model run.

A lookup is a class registered through ``register_lookups``. For each run the pipeline calls
``open(opts, ctx, run_info)`` on every registered lookup; the ones that return an instance (their
options asked for them) are asked in ascending ``order``. ``answer`` gets planned records and
returns, per record, a finished :class:`~spliceannot.records.Result` (a hit) or ``None`` (a miss,
for the next lookup or the model). After the model ran, ``store`` sees the model's results, never
another lookup's hits. A hit must equal what the model path would write for the record, field by
field; a lookup that cannot promise that for the run's settings refuses in ``open``.

``answer`` is called chunk after chunk in input order, so a lookup may keep a cursor between
calls and read its store forward with the input (a streaming join, as ``precomputed`` does); it
must still answer right when the input goes back (unsorted input).
"""

from abc import ABC, abstractmethod


class Lookup(ABC):
    """A plugin contract (a class; the host opens one instance per run)."""

    name: str = ""
    description: str = ""
    order: int = 100  # asked in ascending order
    # Whether a hit carries the model's tracks when the settings ask for them
    # (``Settings.keep_tracks``); a caller that needs tracks (``serve``) uses only lookups that do.
    keeps_tracks: bool = False

    def __init__(self):
        self.hits = self.misses = 0

    @classmethod
    @abstractmethod
    def open(cls, opts, ctx, run_info: dict):
        """An instance when ``opts`` (options.Options, read by name: ``opts["precomputed"]``) ask
        for this lookup, else None. May add what it used to ``run_info`` (the output header);
        raises UsageError for unusable settings, before any output is opened."""

    @abstractmethod
    def answer(self, plans: list, ctx) -> list:
        """One Result (a hit) or None (a miss) per plan; plans here all have tasks to run."""

    def store(self, plans: list, results: list) -> None:
        """Keep results the model computed for ``plans``."""

    def timings(self) -> dict:
        return {f"{self.name} hits": self.hits, f"{self.name} misses": self.misses}

    def close(self) -> None:
        """Called once at the end of the run, also after a failure."""
