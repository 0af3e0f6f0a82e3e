"""A plugin file for --plugins-dir tests: an option that changes scores, and the scorer reading it.

``--demo-scale X`` multiplies every ALT probability by X in the ``demo-scale`` scorer (the
per-window path otherwise), so at its default of 1 that scorer's output is the ``delta``
scorer's. Declaring the option is all it takes for it to be a flag of ``score``, to be recorded
in the output header when set, to be matched by precomputed files and the score cache, to be
checked by ``--resume``, to be a query parameter of ``serve`` and to get an option-matrix row.
"""

from spliceannot.hookspecs import hookimpl
from spliceannot.options import Option
from spliceannot.scorer import Scorer, run_per_window


class DemoScaleScorer(Scorer):
    name = "demo-scale"
    description = "the delta scorer with ALT probabilities times --demo-scale (tests only)"

    def run(self, tasks, ctx):
        scale = ctx.settings["demo_scale"]
        return [(y_ref, y_alt * scale) for y_ref, y_alt in run_per_window(tasks, ctx)]


@hookimpl
def register_options(register):
    register(Option("demo_scale", 1.0, scoring=True, min=0, example=0.5,
                    help="multiply ALT probabilities by this in the demo-scale scorer"))


@hookimpl
def register_scorers(register):
    register(DemoScaleScorer())
