"""The scoring stages after reading: plan -> lookups -> model run -> finish; the scorer contract.

A :class:`Scorer` is the model-run stage: it gets planned tasks (each carrying its windows and
geometry) and returns the model's REF and ALT tracks for each. Planning and finishing default to
SpliceAI's (:mod:`spliceannot.semantics.spliceai`), so the built-in scorers differ only in how
the model runs; a scorer for a model with other semantics (Pangolin's) overrides ``plan``,
``finish`` and ``load_annotation`` and declares the ``output`` its entries are written as (a
:class:`~spliceannot.records.Output`: INFO id, header, fields).
Lookups (:mod:`spliceannot.lookup`) answer records from stored scores before any model runs.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from .records import Output
from .semantics import spliceai


def _default_options():
    from .options import Options

    return Options()


@dataclass
class ScoringContext:
    reference: object  # reference.Reference
    genes: object  # annotation.GeneTable
    model: object  # model.Model
    settings: object  # options.Settings: what planning and finishing read
    # options.Options of the run (device, batch size, ...); every declared default if not given
    options: object = field(default_factory=_default_options)
    # Torch's CPU threads to set where a model first runs in this context (0: the engine's
    # default), then None: a run answered from stored scores never imports torch.
    torch_threads: int = None


class Scorer(ABC):
    """A plugin contract: ``run`` turns tasks into (y_ref, y_alt) track pairs, in order, each
    (n, 3) in the task's strand orientation, as ``ctx.model.predict`` gives for one window."""

    name: str = ""
    description: str = ""
    # The family its entries belong to: what writers render them as (SpliceAI's INFO/SpliceAI
    # by default, as plan and finish are SpliceAI's).
    output: Output = spliceai.OUTPUT
    # The options that change scores this scorer reads (names); None: every one. Any other set
    # away from its default is refused before the run starts.
    accepts: tuple = None

    # How planning's gene table is read from ``-A``: None for the registered annotation sources
    # (``registry.load_annotation``); a scorer with genes of its own (Pangolin's) defines
    # ``load_annotation(spec, **options)``.
    load_annotation = None

    def plan(self, variant, ctx: "ScoringContext"):
        """One record's plan (a :class:`~spliceannot.records.Plan`)."""
        return spliceai.plan(variant, ctx.reference, ctx.genes, ctx.model.context, ctx.settings)

    def finish(self, task, y_ref, y_alt, ctx: "ScoringContext"):
        """One task's entry (or list of entries) from its model tracks (a
        :class:`~spliceannot.records.Entry`: SpliceAI's DeltaScore by default)."""
        return spliceai.finish(task, y_ref, y_alt, ctx.settings)

    @abstractmethod
    def run(self, tasks: list, ctx: ScoringContext) -> list:
        """Model tracks for planned tasks (a chunk's worth, any records mixed)."""

    def timings(self) -> dict:
        """Where the time went so far (seconds and counts by name), for the run summary."""
        return {}

    def score(self, variants: list, ctx: ScoringContext) -> list:
        """Plan, run and finish ``variants`` without lookups: one Result per variant."""
        return score_chunk(variants, ctx, self, ())


def run_per_window(tasks: list, ctx: ScoringContext) -> list:
    """Run the model window by window: each REF once per ``ref_key``, each ALT alone.

    The reference path (the ``delta`` scorer) and the fallback of other scorers for backends
    they cannot take apart.
    """
    refs, out = {}, []
    for task in tasks:
        if task.ref_key not in refs:
            refs[task.ref_key] = ctx.model.predict(task.x_ref[None])[0]
        out.append((refs[task.ref_key], ctx.model.predict(task.x_alt[None])[0]))
    return out


def score_chunk(variants: list, ctx: ScoringContext, scorer: Scorer, lookups) -> list:
    """The pipeline on one chunk: plan each variant, let ``lookups`` answer what they can (in
    order), run the model on the rest, finish, and hand the model's results back to the lookups
    that store them. Returns one :class:`~spliceannot.records.Result` per variant, in order."""
    plans = [scorer.plan(v, ctx) for v in variants]
    # Unscored records and those with nothing for a model (1.3.1's '.' MNVs) are final now.
    results = [p.result() if p.reason is not None or not p.tasks() else None for p in plans]
    for lookup in lookups:
        open_ = [i for i, r in enumerate(results) if r is None]
        if not open_:
            break
        for i, found in zip(open_, lookup.answer([plans[i] for i in open_], ctx)):
            results[i] = found
    todo = [i for i, r in enumerate(results) if r is None]
    tasks = [t for i in todo for t in plans[i].tasks()]
    if tasks and ctx.torch_threads is not None:
        from .engine import set_threads

        set_threads(ctx.torch_threads or None)
        ctx.torch_threads = None
    tracks = iter(scorer.run(tasks, ctx) if tasks else ())
    for i in todo:
        scores = [scorer.finish(t, *next(tracks), ctx) for t in plans[i].tasks()]
        results[i] = plans[i].result(scores)
    if todo:
        for lookup in lookups:
            lookup.store([plans[i] for i in todo], [results[i] for i in todo])
    return results
