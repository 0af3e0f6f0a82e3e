"""The ``pangolin`` scorer: Pangolin's plan and finish (:mod:`.semantics`) around the core's runners.

The model runs through the registered ``fast`` scorer (the engine: shared REF tracks, ALT cones,
the 12 networks batched) or, with ``--scorer delta``, the per-window reference path; both give
the same bits. Entries are written as INFO/Pangolin.
"""

from spliceannot import Scorer
from spliceannot.errors import UsageError
from spliceannot.plugin import Output

from . import semantics
from .genes import NAME as GENES

OUTPUT = Output(semantics.INFO_ID, semantics.INFO_DESCRIPTION, semantics.FIELDS,
                formats={"SCORES": semantics.scores_text},
                json_names={"ALLELE": "allele", "GENE": "gene", "SCORES": "scores",
                            "WARNINGS": "warnings"})


def _runner(ctx):
    """The registered scorer that runs the model for this run: the user's --scorer where it is
    one of the core's runners (``delta``), else the engine's (``fast``)."""
    from spliceannot.plugin import get_scorer

    return get_scorer("delta" if ctx.options["scorer"] == "delta" else "fast")


class PangolinScorer(Scorer):
    name = "pangolin"
    description = ("Pangolin 1.0.2's INFO/Pangolin (gene|pos:gain|pos:loss|Warnings:), for "
                   "--model pangolin or a folder of Pangolin weights")
    output = OUTPUT
    # The options that change scores it reads: any other set is refused before the run starts.
    accepts = ("distance", "mask", "score_cutoff", "score_exons")

    def load_annotation(self, spec, transcripts=None):
        from spliceannot.plugin import get_annotation_source

        return get_annotation_source(GENES).load(spec, transcripts=transcripts)

    def plan(self, variant, ctx):
        s = ctx.settings
        if s.trim_alleles or s.pad_ends or s.raw or s.per_transcript or s.minimal \
                or s.mask_mode != "nearest":
            raise UsageError("the pangolin scorer takes -D and -M only (not --trim-alleles, "
                             "--pad-ends, --raw, --per-transcript, --mask-mode or --profile)")
        return semantics.plan(variant, ctx.reference, ctx.genes, s.distance,
                              ctx.model.context // 2)

    def finish(self, task, y_ref, y_alt, ctx):
        cutoff, exons = semantics.pangolin_options(ctx.options)
        d = ctx.settings.distance
        loss, gain = semantics.tissue_changes(task, y_ref, y_alt, d)
        return semantics.gene_entries(task, loss, gain, d, ctx.settings.mask, cutoff, exons)

    def run(self, tasks, ctx):
        runner = _runner(ctx)
        # The engine takes windows of one width per call; Pangolin's widen with the REF.
        out = [None] * len(tasks)
        by_width = {}
        for i, t in enumerate(tasks):
            by_width.setdefault(len(t.x_ref), []).append(i)
        for idx in by_width.values():
            for i, pair in zip(idx, runner.run([tasks[i] for i in idx], ctx)):
                out[i] = pair
        return out

    def timings(self):
        from spliceannot.plugin import get_scorer

        return get_scorer("fast").timings()
