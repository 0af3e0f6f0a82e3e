"""Built-in scorer ``delta``: SpliceAI 1.3.1's +-D delta scores, one window per REF and per ALT.

This is the reference path: each REF track is computed once per (gene, window) and shared by the
record's ALTs, each ALT window runs on its own. Same numbers as 1.3.1's per-ALT, per-gene loop.
"""

from spliceannot import delta
from spliceannot.hookspecs import hookimpl
from spliceannot.scorer import Scorer


class DeltaScorer(Scorer):
    name = "delta"
    description = "SpliceAI 1.3.1 delta scores (DS/DP for AG, AL, DG, DL within +-D)"

    def score(self, variants, ctx):
        context = ctx.model.context
        plans = [delta.plan(v, ctx.reference, ctx.genes, context, ctx.settings) for v in variants]
        for p in plans:
            refs = {}
            for task in p.tasks():
                if task.ref_key not in refs:
                    refs[task.ref_key] = ctx.model.predict(task.x_ref[None])[0]
                y_alt = ctx.model.predict(task.x_alt[None])[0]
                task.result = delta.finish(task, refs[task.ref_key], y_alt, ctx.settings)
        return plans


@hookimpl
def register_scorers(register):
    register(DeltaScorer())
