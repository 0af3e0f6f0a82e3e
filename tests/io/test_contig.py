"""Contig naming across files: chr prefixes and chrM <-> MT."""

from spliceannot.io.contig import ContigMap, canonical


def test_canonical():
    assert canonical("chr1") == canonical("1") == "1"
    assert canonical("chrM") == canonical("MT") == canonical("chrMT") == canonical("M") == "MT"
    assert canonical("chrX") == "X"


def test_resolve():
    fasta = ContigMap(["chr1", "chrX", "chrM"])
    assert fasta.resolve("1") == "chr1"
    assert fasta.resolve("chr1") == "chr1"
    assert fasta.resolve("MT") == "chrM"
    assert fasta.resolve("X") == "chrX"
    assert fasta.resolve("2") is None
    ensembl = ContigMap(["1", "MT"])
    assert ensembl.resolve("chrM") == "MT"
    assert ensembl.resolve("chr1") == "1"
    assert "chrY" not in ensembl
