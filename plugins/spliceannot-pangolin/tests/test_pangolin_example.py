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


def test_predict_writes_tissue_tracks(tiny_dir, tmp_path, capsys):
    """predict --model pangolin: one track per tissue (its 3 networks' mean splice-site
    probability), named by the tissues in files and columns."""
    import numpy as np

    from spliceannot import registry
    from spliceannot.io.reference import Reference
    from spliceannot.sequence import one_hot

    tsv, bedgraph = tmp_path / "t.tsv", tmp_path / "t.bedgraph"
    try:
        main(["predict", "chr16:62590-62610", "-R", str(FASTA), "--model", str(tiny_dir),
              "-o", str(tsv), "-o", str(bedgraph), "-q"])
    except SystemExit as exc:
        assert exc.code == 0, capsys.readouterr().err
    rows = [r.split("\t") for r in tsv.read_text().splitlines()]
    assert rows[0] == ["CHROM", "POS", "STRAND", "GENE", "HEART", "LIVER", "BRAIN", "TESTIS"]
    assert len(rows) == 1 + 2 * 21
    model = registry.model(str(tiny_dir))
    half = model.context // 2
    ref = Reference(str(FASTA))
    x = one_hot(ref.fetch("chr16", 62600 - 1 - half, 62600 + half))
    ref.close()
    y = model.predict(x[None].astype(np.float32))[0]  # (1, 12)
    want = [f"{v:.9g}" for v in y.reshape(4, 3).mean(axis=1, dtype=np.float32)]
    got = next(r for r in rows if r[1] == "62600" and r[2] == "+")
    assert got[4:] == want and len(set(want)) == 4  # tissues differ
    names = sorted(p.name for p in tmp_path.glob("t.*.bedgraph"))
    assert names == sorted(f"t.{t}_{s}.bedgraph" for t in ("heart", "liver", "brain", "testis")
                           for s in ("plus", "minus"))
    line = (tmp_path / "t.brain_plus.bedgraph").read_text().splitlines()[1 + 10]
    assert line.split("\t")[:2] == ["chr16", "62599"]
    assert float(line.split("\t")[3]) == float(f"{float(want[2]):.6g}")


def test_gene_lines_win_over_transcripts(tmp_path):
    """A filtered GTF (GENCODE's basic set) keeps a gene line wider than the transcripts it
    kept, and a gene line may have no transcript: Pangolin's database holds both as written."""
    from pangolin_helpers import GTF as GOLDEN_GTF

    lines = GOLDEN_GTF.read_text().splitlines()
    lines = [x.replace("\t47583\t82980\t", "\t47000\t90000\t") if "\tgene\t" in x else x
             for x in lines]
    lines.append('chr16\tgolden\tgene\t100\t900\t.\t+\t.\tgene_id "PG_BARE"; gene_name "PG_BARE";')
    path = tmp_path / "basic.gtf"
    path.write_text("\n".join(lines) + "\n")
    genes = PangolinGenesSource().load(str(path))
    b = next(g for g in genes.genes if g.name == "PG_B")
    assert (b.tx_start, b.tx_end) == (47000, 90000) and len(b.exon_starts) == 13
    assert genes.genes[-1].name == "PG_BARE" and genes.genes[-1].exon_starts == []
    assert [g.name for g in genes.overlapping("chr16", 89000)] == ["PG_B"]  # past PG_C, PG_B's line
