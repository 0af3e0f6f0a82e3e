"""Built-in scorer ``fast``: the ``delta`` scorer's output, computed by :mod:`spliceannot.engine`.

Plans and DS/DP come from :mod:`spliceannot.semantics.spliceai` exactly as in ``delta``; only the model runs
differently (shared REF tracks, cone-restricted ALTs, batches across the chunk). Backends that do
not declare ``runs_on_engine`` go through the per-window path of ``delta`` unchanged.
"""

import logging
from collections import Counter

from spliceannot.hookspecs import hookimpl
from spliceannot.scorer import Scorer, run_per_window

log = logging.getLogger("spliceannot")


class FastScorer(Scorer):
    name = "fast"
    description = ("SpliceAI 1.3.1 delta scores, identical to 'delta', from the batched "
                   "shared-reference, cone-restricted engine")

    def __init__(self):
        self._engines = {}
        self._retired = Counter()  # stats of engines replaced, so timings() only ever grows
        self._warned = False

    def engine(self, ctx):
        """The engine for this model and these options, built once and kept."""
        from spliceannot.engine import Engine

        opts = ctx.options
        settings = (opts["batch_size"], opts["precision"], opts["device"] or "cpu")
        key = (id(ctx.model),) + settings
        if key not in self._engines:
            for old in self._engines.values():
                self._retired.update(old.stats)
            self._engines.clear()  # one model per run; do not keep old weights alive
            self._engines[key] = Engine(ctx.model, batch_size=settings[0],
                                        precision=settings[1], device=settings[2])
        return self._engines[key]

    def timings(self):
        total = Counter(self._retired)
        for engine in self._engines.values():
            total.update(engine.stats)
        return dict(total)

    def run(self, tasks, ctx):
        if not ctx.model.runs_on_engine:
            return run_per_window(tasks, ctx)
        engine = self.engine(ctx)
        if engine.defers_to_per_window:
            if not self._warned:
                log.warning("this machine's convolution kernels give crops other bits than whole "
                            "windows; the fast scorer runs the per-window path instead (exact, "
                            "slower)")
                self._warned = True
            return run_per_window(tasks, ctx)
        return engine.predict(tasks)


@hookimpl
def register_scorers(register):
    register(FastScorer())
