"""The training toy genome (hand-written files under tests/training/data/)."""

from support.paths import TOY_FA


def toy_seq(name="chrT") -> str:
    from spliceannot.training.dataset import iter_fasta

    return dict(iter_fasta(TOY_FA))[name]
