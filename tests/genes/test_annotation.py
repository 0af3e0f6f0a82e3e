"""SpliceAI gene tables: parsing, coordinates, overlap order, nearest boundary, bad rows."""

import gzip

import pytest

from support.paths import CHR16_TABLE
from spliceannot import genes as annotation, registry
from spliceannot.errors import InputError

HEADER = "#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END\n"


def test_reads_bundled_table():
    table = annotation.read_table(CHR16_TABLE)
    assert len(table) == 12
    g = table.genes[0]
    assert (g.name, g.chrom, g.strand, g.tx_start, g.tx_end) == ("NM_018032", "chr16", "-", 2008, 42487)
    assert g.exon_starts[0] == 2008 and g.exon_ends[0] == 3172


def test_overlap_in_table_order_and_prefix():
    table = annotation.read_table(CHR16_TABLE)
    assert [g.name for g in table.overlapping("chr16", 5000)] == ["NM_018032", "NM_201412"]
    assert [g.name for g in table.overlapping("16", 5000)] == ["NM_018032", "NM_201412"]
    assert [g.name for g in table.overlapping("chr16", 2008)] == ["NM_018032"]  # tx_start inclusive
    assert table.overlapping("chr16", 2007) == []
    assert table.overlapping("chr16", 44000) == []
    assert table.overlapping("chr1", 5000) == []


def test_nearest_boundary_ties_go_upstream(tmp_path):
    path = tmp_path / "t.txt.gz"
    with gzip.open(path, "wt") as h:
        h.write(HEADER + "G\t1\t+\t99\t300\t99,199,\t150,300,\n")
    gene = annotation.read_table(path).genes[0]
    assert gene.exon_starts == [100, 200] and gene.exon_ends == [150, 300]
    assert gene.nearest_boundary(175) == -25  # 150 and 200 tie: the upstream one
    assert gene.nearest_boundary(190) == 10
    assert gene.nearest_boundary(100) == 0


def test_bad_row_names_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(HEADER + "G\t1\t+\t99\t300\t99,\t150,\nH\t1\t+\tx\t300\t1,\t2,\n")
    with pytest.raises(InputError, match="line 3"):
        annotation.read_table(path)
    path.write_text(HEADER + "G\t1\t*\t99\t300\t99,\t150,\n")
    with pytest.raises(InputError, match=r"line 2: STRAND '\*' of G is not \+ or -"):
        annotation.read_table(path)


def test_resolve_names_and_paths():
    assert registry.annotation_source("grch37").name == "grch37"
    assert registry.annotation_source(str(CHR16_TABLE)).name == "table"
    from spliceannot.errors import UsageError

    with pytest.raises(UsageError, match="neither a file nor a registered source"):
        registry.annotation_source("no-such-annotation")


def test_overlapping_by_stretch_equals_a_pass_over_every_gene():
    """Answers kept per stretch between transcript ends equal the plain interval test, at every
    transcript end and beside it, in any order of asking."""
    import random

    from spliceannot.genes import Gene, GeneTable

    rng = random.Random(4)
    genes = []
    for i in range(60):
        start = rng.randint(1, 5000)
        end = start + rng.randint(0, 800)
        genes.append(Gene(f"G{i}", "chr1", "+-"[i % 2], start, end, [start], [end]))
    table = GeneTable(genes)
    probes = [p for g in genes for p in (g.tx_start - 1, g.tx_start, g.tx_end, g.tx_end + 1)]
    probes += [rng.randint(0, 6000) for _ in range(500)]
    rng.shuffle(probes)
    for pos in probes:
        want = [g for g in genes if g.tx_start <= pos <= g.tx_end]
        assert table.overlapping("chr1", pos) == want
