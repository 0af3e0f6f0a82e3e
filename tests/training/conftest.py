"""Fixtures of the training tests: tiny datasets built from the bundled example slice."""

import pytest

from support.paths import CHR16_FASTA, CHR16_GTF


@pytest.fixture(scope="session")
def chr16_data(tmp_path_factory):
    """The bundled hg38 chr16 slice as 1,000-position windows with 80 nt context; NM_* genes
    on the slice's single contig are split by gene-name hash into train and val (no test)."""
    from spliceannot.training.dataset import create_data

    out = tmp_path_factory.mktemp("chr16_data")
    create_data(CHR16_FASTA, CHR16_GTF, out, context=80, window=1000, test_chroms=["none"],
                val_fraction=0.3)
    return out
