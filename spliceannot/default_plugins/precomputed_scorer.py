"""Built-in scorer ``precomputed``: answers from ``--precomputed`` score files, the model for the rest.

A record is a hit when the files hold an entry for every (ALT, gene symbol) pair the run's own
annotation gives it; its entries are then copied from the files and no model runs. Any other record
goes to the wrapped scorer (``--scorer``, ``delta`` by default) whole, so every record is scored
with one source. Window checks (REF match, contig ends) still apply to hits.
"""

import logging

from spliceannot import delta
from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.scorer import Scorer, WrappingScorer

log = logging.getLogger("spliceannot")


class PrecomputedScorer(WrappingScorer):
    name = "precomputed"
    description = "scores from bgzip+tabix SpliceAI VCFs (--precomputed); misses go to --scorer"

    def __init__(self, inner=None, files=None):
        super().__init__(inner)
        self.files = files

    def wrap(self, inner: Scorer, paths: list) -> "PrecomputedScorer":
        """A scorer that looks in ``paths`` first and asks ``inner`` on a miss."""
        from spliceannot.precomputed import ScoreFiles

        wrapped = PrecomputedScorer(inner, ScoreFiles(paths))
        wrapped.name = f"precomputed+{inner.name}"
        return wrapped

    def score(self, variants, ctx):
        if self.files is None:
            raise UsageError("the precomputed scorer needs --precomputed FILE")
        if not getattr(self, "_checked", False):
            self.files.check(ctx.settings.distance, ctx.settings.mask)
            self._checked = True
        plans = [delta.plan(v, ctx.reference, ctx.genes, ctx.model.context, ctx.settings)
                 for v in variants]
        missed = []
        for i, (variant, plan) in enumerate(zip(variants, plans)):
            if plan.reason is not None:
                continue
            tasks = plan.tasks()
            found = self.files.lookup(variant.chrom, variant.pos, variant.ref) if tasks else {}
            if all((t.alt.upper(), t.gene.name) in found for t in tasks):
                for t in tasks:
                    hit = found[(t.alt.upper(), t.gene.name)]
                    t.result = delta.DeltaScore(t.alt, t.gene.name, hit.ds, hit.dp)
            else:
                missed.append(i)
        self.score_misses(plans, missed, variants, ctx)
        return plans


@hookimpl
def register_scorers(register):
    register(PrecomputedScorer())
