"""Built-in scorer ``delta``: SpliceAI 1.3.1's +-D delta scores, one window per REF and per ALT.

This is the reference path: each REF track is computed once per (gene, window) and shared by the
record's ALTs, each ALT window runs on its own. Same numbers as 1.3.1's per-ALT, per-gene loop.
"""

from spliceannot.hookspecs import hookimpl
from spliceannot.scorer import Scorer, run_per_window


class DeltaScorer(Scorer):
    name = "delta"
    description = "SpliceAI 1.3.1 delta scores (DS/DP for AG, AL, DG, DL within +-D)"

    def run(self, tasks, ctx):
        return run_per_window(tasks, ctx)


@hookimpl
def register_scorers(register):
    register(DeltaScorer())
