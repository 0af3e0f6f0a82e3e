"""Built-in lookup ``cache``: ``--score-cache DIR``, a persistent cache of the model's results.

A record scored before with the same model, annotation, genome and settings is answered from the
cache (see :mod:`spliceannot.lookup.score_cache`); the model's results for everything else are stored.
Precomputed-file hits are never stored (the cache holds what this model computed).
"""

from spliceannot.lookup import provenance
from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.lookup import Lookup


class CacheLookup(Lookup):
    name = "cache"
    description = "answers from a persistent score cache (--score-cache DIR), stores the rest"
    order = 20  # after precomputed files

    def __init__(self, cache):
        super().__init__()
        self.cache = cache

    @classmethod
    def open(cls, opts, ctx, run_info):
        directory = opts["score_cache"]
        if not directory:
            return None
        import os

        from spliceannot.lookup.score_cache import ScoreCache, cache_key

        if os.path.exists(directory) and not os.path.isdir(directory):
            raise UsageError(f"--score-cache {directory}: not a directory")
        key = cache_key(provenance.model_digest(ctx.model),
                        provenance.annotation_digest(ctx.genes),
                        provenance.reference_digest(ctx.reference), ctx.settings)
        try:
            return cls(ScoreCache(directory, key))
        except OSError as exc:
            raise UsageError(f"--score-cache {directory}: {exc.strerror or exc}") from None

    def answer(self, plans, ctx):
        found = self.cache.get_many([p.variant for p in plans])
        hits = sum(r is not None for r in found)
        self.hits += hits
        self.misses += len(found) - hits
        return found

    def store(self, plans, results):
        for plan, result in zip(plans, results):
            self.cache.put(plan.variant, result)
        self.cache.commit()

    def close(self):
        self.cache.close()


@hookimpl
def register_lookups(register):
    register(CacheLookup)
