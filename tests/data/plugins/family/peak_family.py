"""A model family of its own, for the writers' tests: INFO/Peak, fields ALLELE, GENE, PEAK, AT, NOTE.

Each ALT x gene reports the largest rise of any splice-site probability (PEAK) and where it lies
(AT, from POS); an entry SpliceAI leaves unscored (an MNV) has no values. No writer knows it.
"""

from spliceannot.hookspecs import hookimpl
from spliceannot.plugin import EnsembleModel, NetworkConfig, Output, Scorer, SpliceNet
from spliceannot.plugin import run_per_window

OUTPUT = Output("Peak", "Peak splice-site rise. Format: ALLELE|GENE|PEAK|AT|NOTE",
                ("ALLELE", "GENE", "PEAK", "AT", "NOTE"), formats={"PEAK": ".3f"},
                json_names={"ALLELE": "allele", "GENE": "gene"})


class PeakEntry:
    def __init__(self, alt, gene, peak=None, at=None, note=None):
        self.alt, self.gene, self.peak, self.at, self.note = alt, gene, peak, at, note

    def fields(self):
        return {"ALLELE": self.alt, "GENE": self.gene, "PEAK": self.peak, "AT": self.at,
                "NOTE": self.note}

    def info_text(self):
        peak = "." if self.peak is None else f"{self.peak:.3f}"
        return f"{self.alt}|{self.gene}|{peak}|{'.' if self.at is None else self.at}|" \
               f"{self.note or '.'}"


class PeakScorer(Scorer):
    name = "peak"
    description = "the largest splice-site rise per ALT x gene (tests only)"
    output = OUTPUT

    def plan(self, variant, ctx):
        p = super().plan(variant, ctx)  # SpliceAI's windows; its '.' entries become ours
        tasks = {id(t) for t in p.tasks()}
        p.items = [i if id(i) in tasks else PeakEntry(i.alt, i.gene) for i in p.items]
        return p

    def finish(self, task, y_ref, y_alt, ctx):
        n = min(len(y_ref), len(y_alt))
        rise = (y_alt[:n, 1:] - y_ref[:n, 1:]).max(axis=1)
        i = int(rise.argmax())
        at = i - n // 2 if task.gene.strand == "+" else n // 2 - i
        return PeakEntry(task.alt, task.gene.name, float(rise[i]), at,
                         "strong" if rise[i] >= 0.05 else None)

    def run(self, tasks, ctx):
        return run_per_window(tasks, ctx)


class PeakModel(EnsembleModel):
    name = "peak-tiny"
    description = "seeded random 80 nt SpliceNet scored as the Peak family (tests only)"
    context = 80
    scorer = "peak"

    def load_networks(self):
        import torch

        torch.manual_seed(0)
        return [SpliceNet(NetworkConfig.preset(80))]


@hookimpl
def register_models(register):
    register(PeakModel())


@hookimpl
def register_scorers(register):
    register(PeakScorer())
