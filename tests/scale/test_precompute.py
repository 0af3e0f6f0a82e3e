"""``precompute``: every variant over a gene or region, read back by ``--precomputed``."""

import gzip
import os

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA

from spliceannot.scale import precompute
from spliceannot import registry
from spliceannot.errors import UsageError
from spliceannot.plugins import load_plugins_dir
from spliceannot.lookup.precomputed import ScoreFile
from spliceannot.io.reference import Reference
from spliceannot.pipeline import Options, score_file

# NM_001286436: a one-exon chr16 gene of 325 nt; with the tiny test model its first 40 nt
# (120 SNVs, 160 deletions) keep the test to seconds on a 2-core CPU.
GENE, SLICE = "NM_001286436", "chr16:209792-209831"


@pytest.fixture(scope="module")
def opts():
    load_plugins_dir(DATA / "plugins")
    return Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model="tiny-dir",
                   progress=False)


def test_targets_resolve_genes_and_merge_regions():
    genes = registry.load_annotation(str(CHR16_TABLE))
    assert precompute.targets([GENE], genes) == [("chr16", 209792, 210116)]
    assert precompute.targets(["chr16:100-200", "chr16:150-300", "chr16:1,000-1,010"], genes) \
        == [("chr16", 100, 300), ("chr16", 1000, 1010)]
    with pytest.raises(UsageError, match="no such gene"):
        precompute.targets(["NOPE1"], genes)


def test_variants_enumerates_every_snv_insertion_and_deletion():
    reference = Reference(str(CHR16_FASTA))
    seq = reference.fetch("chr16", 209791, 209797).upper()
    got = list(precompute.variants(reference, "chr16", 209792, 209792, ("snv", "ins", "del")))
    reference.close()
    base = seq[0]
    assert got[0] == (209792, base, [b for b in "ACGT" if b != base] + [base + b for b in "ACGT"])
    assert got[1:] == [(209792, seq[:k + 1], [base]) for k in range(1, 5)]


def _spliceai_entries(vcf_path):
    """(chrom, pos, ref, ALT|SYMBOL|... text) for every entry of a VCF's INFO/SpliceAI."""
    found = set()
    opener = gzip.open if str(vcf_path).endswith(".gz") else open
    with opener(vcf_path, "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            chrom, pos, _, ref, _, _, _, info = line.rstrip("\n").split("\t")[:8]
            for item in info.split(";"):
                if item.startswith("SpliceAI="):
                    found |= {(chrom, int(pos), ref, e) for e in item[9:].split(",")
                              if "|.|" not in e}
    return found


def _score_directly(tmp_path, opts, start, end):
    """Every SNV and deletion of chr16:start-end as a VCF, scored with ``opts``: (vcf, output)."""
    reference = Reference(str(CHR16_FASTA))
    variants = tmp_path / "variants.vcf"
    precompute.write_variants(variants, reference, [("chr16", start, end)], ("snv", "del"))
    reference.close()
    direct = tmp_path / "direct.vcf"
    score_file(str(variants), str(direct), opts)
    return variants, direct


def test_precompute_is_read_back_by_precomputed_and_matches_direct_scoring(opts, tmp_path):
    out = tmp_path / "slice.vep.vcf.gz"
    summary = precompute.precompute([SLICE], str(out), opts, kinds=("snv", "del"))
    assert os.path.exists(f"{out}.tbi") and not os.path.exists(f"{out}.variants.vcf")
    assert summary.records_in == 40 + 40 * 4 and summary.scored == summary.records_in

    # Direct scoring of the same variants with the model.
    variants, direct = _score_directly(tmp_path, opts, 209792, 209831)
    want = _spliceai_entries(direct)
    assert len(want) == 40 * 3 + 40 * 4
    assert _spliceai_entries(out) == want

    # The precomputed-score source answers every variant from the file...
    scores = ScoreFile(str(out))
    for chrom, pos, ref, text in want:
        alt, gene = text.split("|")[:2]
        assert scores.lookup(chrom, pos, ref)[(alt, gene)].format() == text
    scores.close()
    # ... and a --precomputed run writes the same records as direct scoring.
    via_file = tmp_path / "via_file.vcf"
    score_file(str(variants), str(via_file),
               Options(**{**opts.__dict__, "precomputed": (str(out),)}))
    body = [line for line in open(via_file) if not line.startswith("#")]
    assert body == [line for line in open(direct) if not line.startswith("#")]


def test_precompute_whole_gene_variant_count():
    """The full gene: 325 positions x 3 SNVs (scoring it is the benchmark's job)."""
    reference = Reference(str(CHR16_FASTA))
    genes = registry.load_annotation(str(CHR16_TABLE))
    intervals = precompute.targets([GENE], genes)
    records = [v for c, s, e in intervals for v in precompute.variants(reference, c, s, e)]
    reference.close()
    assert sum(len(alts) for _, _, alts in records) == 325 * 3


def test_precompute_on_ray_equals_local(opts, tmp_path):
    pytest.importorskip("ray", reason="needs Ray: pip install 'spliceannot[ray]'")
    import ray

    local, distributed = tmp_path / "local.vep.vcf.gz", tmp_path / "ray.vep.vcf.gz"
    precompute.precompute([SLICE], str(local), opts)
    try:
        precompute.precompute([SLICE], str(distributed),
                              opts.replace(engine="ray", shards=2,
                                           plugins_dir=str(DATA / "plugins")))
    finally:
        ray.shutdown()
    assert distributed.read_bytes() == local.read_bytes()
    assert os.path.exists(f"{distributed}.tbi")


def test_precompute_refuses_other_outputs(opts, tmp_path):
    with pytest.raises(UsageError, match="vep.vcf.gz"):
        precompute.precompute([SLICE], str(tmp_path / "x.vcf"), opts)


def test_full_gene_precompute_read_back_matches_direct_scoring(opts, tmp_path):
    """Every SNV and 1-4 nt deletion of the whole real gene NM_001286436 (325 nt), scored by
    precompute, read back through the precomputed-score source, equal to direct scoring. At
    D=10 the 80 nt test model's windows fit the contig except for the last 11 positions, which
    both paths leave unscored."""
    gene_opts = Options(**{**opts.__dict__, "distance": 10})
    out = tmp_path / "gene.vep.vcf.gz"
    summary = precompute.precompute([GENE], str(out), gene_opts, kinds=("snv", "del"))
    assert summary.records_in == 325 * 5
    _, direct = _score_directly(tmp_path, gene_opts, 209792, 210116)
    want = _spliceai_entries(direct)
    assert len(want) > 300 * 7 and _spliceai_entries(out) == want
    scores = ScoreFile(str(out))
    assert all(scores.lookup(c, p, r)[tuple(t.split("|")[:2])].format() == t for c, p, r, t in want)
    scores.close()


def _precompute_equals_direct(tmp_path, opts, chrom, start, end, kinds):
    """precompute chrom:start-end, then the same variants scored directly and via the file."""
    out = tmp_path / "gene.vep.vcf.gz"
    precompute.precompute([f"{chrom}:{start}-{end}"], str(out), opts, kinds=kinds)
    reference = Reference(opts.reference)
    variants = tmp_path / "variants.vcf"
    n = precompute.write_variants(variants, reference, [(chrom, start, end)], kinds)
    reference.close()
    direct, via_file = tmp_path / "direct.vcf", tmp_path / "via_file.vcf"
    score_file(str(variants), str(direct), opts)
    summary = score_file(str(variants), str(via_file),
                         Options(**{**opts.__dict__, "precomputed": (str(out),)}))
    body = [line for line in open(direct) if not line.startswith("#")]
    assert len(body) == n and all("SpliceAI=" in line for line in body)
    assert [line for line in open(via_file) if not line.startswith("#")] == body
    assert summary.timings.get("precomputed hits") == n  # no record needed the model
    return body


def test_real_model_gene_d500_m1_read_back_equals_direct(spliceai_model, tmp_path):
    """The real SpliceAI ensemble at -D 500 -M 1: every SNV, 1-nt insertion and 1-4-nt deletion
    of 3 nt in chr16 NM_001176 (5 kb from the slice's ends), precomputed, read back, equal to
    direct scoring."""
    opts = Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), distance=500,
                   mask=True, progress=False)
    body = _precompute_equals_direct(tmp_path, opts, "chr16", 93700, 93702,
                                     ("snv", "ins", "del"))
    assert len(body) == 3 + 3 * 4  # one SNV+insertion record and four deletions per position


@pytest.mark.slow
def test_real_chr20_gene_d500_m1_read_back_equals_direct(spliceai_model, shared_data, tmp_path):
    """The same on GRCh37 chr20 (../shared): 3 nt of a real gene, every kind (the whole gene
    is the GPU script's job)."""
    chr20 = shared_data / "human_grch37" / "chr20"
    fasta, table = chr20 / "20.fa.gz", chr20 / "spliceai_grch37_chr20.txt.gz"
    for path in (fasta, table):
        if not path.exists():
            pytest.skip(f"needs {path}")
    genes = registry.load_annotation(str(table))
    gene = min((g for g in genes.genes if g.tx_end - g.tx_start > 2000),
               key=lambda g: g.tx_end - g.tx_start)
    opts = Options(reference=str(fasta), annotation=str(table), distance=500, mask=True,
                   progress=False)
    start = gene.tx_start + 101
    body = _precompute_equals_direct(tmp_path, opts, gene.chrom, start, start + 2,
                                     ("snv", "ins", "del"))
    assert len(body) >= 5
