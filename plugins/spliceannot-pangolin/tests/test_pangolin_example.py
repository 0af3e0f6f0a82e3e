"""``--model pangolin`` on the bundled example: a RefSeq GTF without ``gene`` lines or tags.

Pangolin's own database needs ``gene`` lines; the ``pangolin-genes`` source builds genes from
transcripts (each UCSC-style transcript is its own gene) and, with no ``Ensembl_canonical`` tag
in the file, takes each gene's canonical transcript's exons as its annotated sites."""

import pytest

from pangolin_helpers import FASTA, REPO
from spliceannot.cli import main
from spliceannot_pangolin.genes import PangolinGenesSource

EXAMPLE = REPO / "examples" / "chr16_demo.vcf"
GTF = REPO / "examples" / "data" / "hg38_chr16_186964-397118.refseq.gtf"


def _info(path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            f = line.split("\t")
            out[f[2]] = dict(kv.split("=", 1) for kv in f[7].split(";")
                             if "=" in kv).get("Pangolin")
    return out


def _run(args, capsys):
    try:
        main(["score", *args])
    except SystemExit as exc:
        assert exc.code == 0, capsys.readouterr().err


def test_genes_from_transcripts_without_gene_lines():
    assert "\tgene\t" not in GTF.read_text()
    genes = {g.name: g for g in PangolinGenesSource().load(str(GTF)).genes}
    assert len(genes) == 17  # one per transcript: UCSC's gene_id is the accession
    a = genes["NM_006849"]
    assert (a.strand, a.tx_start) == ("+", 96155) and len(a.exon_starts) == 11
    assert [g.name for g in PangolinGenesSource().load(str(GTF)).overlapping("chr16", 96155)] \
        == []  # Pangolin's start < POS
    minus = genes["NM_018032"]
    assert minus.strand == "-" and minus.exon_starts[0] > minus.exon_starts[-1]  # file order


def test_example_scores_with_tiny_weights(tiny_dir, tmp_path, capsys):
    out = tmp_path / "out.vcf"
    _run([str(EXAMPLE), "-R", str(FASTA), "-A", str(GTF), "--model", str(tiny_dir),
          "-o", str(out), "-q"], capsys)
    info = _info(out)
    assert len(info) == 12
    assert {k for k, v in info.items() if v is None} == {"v47", "v141", "v191"}
    assert [e.split("|")[0] for e in info["v12"].split(",")] == ["NM_201412", "NM_018032"]
    assert info["v192"].startswith("NM_006849|") and info["v192"].endswith("|Warnings:")


@pytest.mark.slow
def test_example_with_pangolins_weights(weights, tmp_path, capsys, monkeypatch):
    """The README's example command with --model pangolin (weights set up by the environment
    here), on two of its records; the strings are this plugin's (Pangolin's CLI cannot read a
    GTF without gene lines), pinned so a change is seen."""
    monkeypatch.setenv("SPLICEANNOT_PANGOLIN_DIR", str(weights))
    from spliceannot import registry

    registry.reset()  # the registered model finds its folder at first use
    lines = EXAMPLE.read_text().splitlines()
    vcf = tmp_path / "two.vcf"
    vcf.write_text("\n".join([x for x in lines if x.startswith("#")]
                             + [x for x in lines if x.split("\t")[2:3] in (["v12"], ["v192"])])
                   + "\n")
    out = tmp_path / "out.vcf"
    _run([str(vcf), "-R", str(FASTA), "-A", str(GTF), "--model", "pangolin", "-o", str(out),
          "-q"], capsys)
    registry.reset()
    assert _info(out) == {
        "v12": "NM_201412|3:0.0|-1:-0.05000000074505806|Warnings:,"
               "NM_018032|3:0.0|-1:-0.05000000074505806|Warnings:",
        "v192": "NM_006849|47:0.009999999776482582|0:-0.0|Warnings:"}
