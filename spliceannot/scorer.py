"""The scorer contract: turns a batch of variants into per-record plans with their results filled."""

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass
class ScoringContext:
    reference: object  # reference.Reference
    genes: object  # annotation.GeneTable
    model: object  # model.Model
    settings: object  # delta.Settings
    options: object = None  # scoring.Options of the run (device, batch size, ...), if any


class Scorer(ABC):
    """A plugin contract. ``score`` returns one :class:`spliceannot.delta.Plan` per variant, in order,
    each Task's ``result`` set; a plan with ``reason`` set passes its record through unscored."""

    name: str = ""
    description: str = ""

    @abstractmethod
    def score(self, variants: list, ctx: ScoringContext) -> list:
        """Score variants (a chunk of the input, in input order)."""

    def timings(self) -> dict:
        """Where the time went so far (seconds and counts by name), for the run summary."""
        return {}


class WrappingScorer(Scorer):
    """A scorer that answers some records itself and hands the rest (misses) to ``inner``.

    ``hits`` counts the records it answered, passed-through unscorable ones included."""

    def __init__(self, inner=None):
        self.inner = inner
        self.hits = self.misses = 0

    def score_misses(self, plans: list, missed: list, variants: list, ctx) -> list:
        """Put ``inner``'s plans for ``variants[i]``, i in ``missed``, into ``plans``; count
        hits and misses. Returns the (index, plan) pairs the inner scorer made."""
        self.hits += len(variants) - len(missed)
        if not missed:
            return []
        self.misses += len(missed)
        made = list(zip(missed, self.inner.score([variants[i] for i in missed], ctx)))
        for i, plan in made:
            plans[i] = plan
        return made

    def timings(self) -> dict:
        kind = type(self).name  # the registered name, not the "cache+fast" of a wrapped one
        inner = self.inner.timings() if self.inner is not None else {}
        return {**inner, f"{kind} hits": self.hits, f"{kind} misses": self.misses}


def score_per_window(plans: list, ctx: ScoringContext) -> list:
    """Run the model window by window: each REF once per ``ref_key``, each ALT alone.

    The reference path (the ``delta`` scorer) and the fallback of other scorers for backends
    they cannot take apart.
    """
    from . import delta

    for p in plans:
        refs = {}
        for task in p.tasks():
            if task.ref_key not in refs:
                refs[task.ref_key] = ctx.model.predict(task.x_ref[None])[0]
            y_alt = ctx.model.predict(task.x_alt[None])[0]
            task.result = delta.finish(task, refs[task.ref_key], y_alt, ctx.settings)
    return plans
