"""Built-in scorer ``cache``: ``--score-cache DIR`` wraps the chosen scorer with a persistent cache.

A record scored before with the same model, annotation, genome and settings is answered from the
cache (see :mod:`spliceannot.score_cache`); everything else is scored and then stored.
"""

from spliceannot.hookspecs import hookimpl
from spliceannot.scorer import Scorer, WrappingScorer


class CachedScorer(WrappingScorer):
    name = "cache"
    description = "answers from a persistent score cache (--score-cache DIR), stores the rest"

    def __init__(self, inner=None, cache=None):
        super().__init__(inner)
        self.cache = cache

    def wrap(self, inner: Scorer, directory, key: str) -> "CachedScorer":
        from spliceannot.score_cache import ScoreCache

        wrapped = CachedScorer(inner, ScoreCache(directory, key))
        wrapped.name = f"cache+{inner.name}"
        return wrapped

    def score(self, variants, ctx):
        plans = [self.cache.get(v) for v in variants]
        missed = [i for i, p in enumerate(plans) if p is None]
        made = self.score_misses(plans, missed, variants, ctx)
        for i, plan in made:
            self.cache.put(variants[i], plan)
        if made:
            self.cache.commit()
        return plans


@hookimpl
def register_scorers(register):
    register(CachedScorer())
