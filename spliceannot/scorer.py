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
    options: object = None  # scoring.Options: engine settings (device, batch size, precision)


class Scorer(ABC):
    """A plugin contract. ``score`` returns one :class:`spliceannot.delta.Plan` per variant, in order,
    each Task's ``result`` set; a plan with ``reason`` set passes its record through unscored."""

    name: str = ""
    description: str = ""

    @abstractmethod
    def score(self, variants: list, ctx: ScoringContext) -> list:
        """Score variants (a chunk of the input, in input order)."""
