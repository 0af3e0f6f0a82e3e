"""Paths of the bundled test data: the hg38 chr16 example slice, golden outputs, the training toy."""

import importlib.metadata
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CHR16_FASTA = EXAMPLES / "data" / "hg38_chr16_186964-397118.fa"
CHR16_GTF = EXAMPLES / "data" / "hg38_chr16_186964-397118.refseq.gtf"
CHR16_TABLE = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"
GOLDEN = REPO / "tests" / "golden"
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared" / "data"
TOY_FA = REPO / "tests" / "training" / "data" / "toy.fa"  # hand-written
TOY_GFF = REPO / "tests" / "training" / "data" / "toy.gff3"


def spliceai_installed() -> bool:
    """Whether the spliceai 1.3.1 package (the original weights and gene tables) is installed."""
    try:
        importlib.metadata.distribution("spliceai")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False
