"""Paths and helpers shared by the training tests (the toy files are hand-written)."""

import pathlib

HERE = pathlib.Path(__file__).resolve().parent
TOY_FA = HERE / "data" / "toy.fa"
TOY_GFF = HERE / "data" / "toy.gff3"
REPO = HERE.parent.parent
CHR16_FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
CHR16_GTF = REPO / "examples" / "data" / "hg38_chr16_186964-397118.refseq.gtf"


def toy_seq(name="chrT") -> str:
    from spliceannot.training.dataset import iter_fasta

    return dict(iter_fasta(TOY_FA))[name]
