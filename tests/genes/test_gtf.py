"""GTF/GFF3 annotation source: parsing styles, transcript policies, the parse cache, and scores
identical to the equivalent SpliceAI table on the hg38 chr16 example."""

import gzip
import os

import numpy as np
import pytest

from support.paths import CHR16_FASTA, CHR16_GTF, CHR16_TABLE, GOLDEN
from spliceannot import genes as annotation, registry
from spliceannot.genes import gtf
from spliceannot.errors import UsageError
from spliceannot.models import Model
from spliceannot.pipeline import Options, score_file

# GENCODE-style GTF: gene G1 has four transcripts that each win under one rule of the policy.
GENCODE = """\
##description: hand-made GENCODE-style fixture
chr1\tHAVANA\tgene\t100\t900\t.\t+\t.\tgene_id "ENSG1.1"; gene_name "GENEA";
{rows}"""


def _tx(tid, exons, tags=(), cds=()):
    out = []
    for s, e in exons:
        attrs = f'gene_id "ENSG1.1"; transcript_id "{tid}"; gene_name "GENEA";'
        attrs += "".join(f' tag "{t}";' for t in tags)
        out.append(f"chr1\tHAVANA\texon\t{s}\t{e}\t.\t+\t.\t{attrs}")
    for s, e in cds:
        out.append(f'chr1\tHAVANA\tCDS\t{s}\t{e}\t.\t+\t0\tgene_id "ENSG1.1"; transcript_id "{tid}";')
    return out


def write_gencode(path, with_mane=True, with_canonical=True):
    rows = []
    rows += _tx("T_LONG", [(100, 400), (600, 900)])  # longest mRNA, no CDS
    rows += _tx("T_CDS", [(120, 200), (600, 700)], cds=[(150, 200), (600, 650)])
    if with_canonical:
        rows += _tx("T_CANON", [(130, 200), (650, 700)], tags=["basic", "Ensembl_canonical"])
    if with_mane:
        rows += _tx("T_MANE", [(140, 200), (660, 700)], tags=["basic", "MANE_Select"])
    path.write_text(GENCODE.format(rows="\n".join(rows) + "\n"))
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(gtf.CACHE_ENV, str(tmp_path / "cache"))


@pytest.mark.parametrize("kw,want", [({}, "T_MANE"), ({"with_mane": False}, "T_CANON"),
                                      ({"with_mane": False, "with_canonical": False}, "T_CDS")])
def test_canonical_policy_order(tmp_path, kw, want):
    genes = gtf.load(write_gencode(tmp_path / "g.gtf", **kw), "canonical").genes
    assert [(g.name, g.transcript) for g in genes] == [("GENEA", want)]


def test_longest_transcript_breaks_cds_ties(tmp_path):
    rows = _tx("T_SHORT", [(100, 200)]) + _tx("T_LONGER", [(100, 300)])
    path = tmp_path / "g.gtf"
    path.write_text("\n".join(rows) + "\n")
    assert [g.transcript for g in gtf.load(path, "canonical").genes] == ["T_LONGER"]


def test_mane_and_all_policies(tmp_path):
    path = write_gencode(tmp_path / "g.gtf")
    assert [g.transcript for g in gtf.load(path, "mane").genes] == ["T_MANE"]
    genes = gtf.load(path, "all").genes
    assert [g.transcript for g in genes] == ["T_LONG", "T_CDS", "T_CANON", "T_MANE"]  # by start
    assert genes[0].exon_starts == [100, 600] and genes[0].exon_ends == [400, 900]
    assert (genes[0].tx_start, genes[0].tx_end) == (100, 900)
    with pytest.raises(UsageError, match="choose one of"):
        gtf.load(path, "longest")


def test_gzip_reads_like_plain(tmp_path):
    plain = write_gencode(tmp_path / "g.gtf")
    packed = tmp_path / "g.gtf.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert gtf.load(packed, "all").genes == gtf.load(plain, "all").genes


def test_cache_reused_until_file_changes(tmp_path, monkeypatch):
    path = write_gencode(tmp_path / "g.gtf")
    calls = []
    real = gtf.read_transcripts
    monkeypatch.setattr(gtf, "read_transcripts", lambda p: calls.append(p) or real(p))
    gtf.load(path, "all")
    gtf.load(path, "canonical")  # policy applies after the cache: no second parse
    assert len(calls) == 1
    assert list((tmp_path / "cache" / "gtf").glob("*.json"))
    os.utime(path, ns=(1, 1))  # touched, same bytes: still the cached parse
    gtf.load(path, "all")
    assert len(calls) == 1
    # Same size and mtime, other content (a same-second edit, `cp -p`): parsed again, and the
    # new transcripts are what the run gets.
    text = path.read_text()
    edited = text.replace('"T_LONG"', '"T_LOXG"')
    assert len(edited) == len(text) and edited != text
    path.write_text(edited)
    os.utime(path, ns=(1, 1))
    assert gtf.load(path, "all").genes[0].transcript == "T_LOXG"
    assert len(calls) == 2


def test_chr16_locus_policy_equals_the_table():
    from_gtf = gtf.load(CHR16_GTF, "locus").genes
    table = annotation.read_table(CHR16_TABLE).genes
    strip = lambda g: (g.name, g.chrom, g.strand, g.tx_start, g.tx_end, g.exon_starts, g.exon_ends)
    assert [strip(g) for g in from_gtf] == [strip(g) for g in table]
    assert all(g.transcript == g.name for g in from_gtf)  # no symbols here: NAME is the accession


def test_source_is_resolved_from_the_path_and_takes_transcripts():
    assert registry.annotation_source(str(CHR16_GTF)).name == "gtf"
    assert len(registry.load_annotation(str(CHR16_GTF), transcripts="all")) == 17
    with pytest.raises(UsageError, match="takes no --transcripts"):
        registry.load_annotation(str(CHR16_TABLE), transcripts="all")


def test_ensembl_gtf_and_gff3(shared_data):
    base = shared_data / "human_grch38" / "annotation_only"
    genes = gtf.load(base / "ensembl_vep_chr21_test.gtf.gz", "canonical").genes
    first = genes[0]
    assert first.transcript.startswith("ENST") and first.chrom == "21"
    assert all(not g.name.startswith("ENST") for g in genes)
    t = {t.id: t for t in gtf.cached_transcripts(base / "ensembl_vep_chr21_test.gff3.gz")}
    tx = t["ENST00000624081"]
    assert tx.gene_id == "ENSG00000279493" and tx.symbol == "CH507-9B2.2" and tx.cds_length == 468
    assert tx.exons[0] == [5011799, 5011874]


def test_ncbi_gff3_mane(shared_data):
    path = shared_data / "human_grch38" / "annotation_only" / "openspliceai_chr22_MANE.gff.gz"
    genes = gtf.load(path, "mane").genes
    assert len(genes) == 423
    g = next(g for g in genes if g.transcript == "NM_001005239.2")
    assert (g.name, g.chrom, g.tx_start, g.tx_end) == ("OR11H1", "chr22", 15528192, 15529139)


# --- acceptance: the GTF and its equivalent table give identical SpliceAI strings ---------------

PICK = {"v5", "v27", "v49", "v137", "v159", "v203", "v225", "v313"}


class Memo(Model):
    """The real model, each distinct window predicted once across the runs of this module."""

    name = "spliceai-memo-test"
    context = 10000

    def __init__(self, inner):
        self.inner, self.seen = inner, {}

    def predict(self, x):
        key = x.tobytes()
        if key not in self.seen:
            self.seen[key] = self.inner.predict(x)
        return self.seen[key]


@pytest.fixture(scope="module")
def memo_model(spliceai_model):
    models = registry.models()
    models.items[Memo.name] = Memo(spliceai_model)
    yield Memo.name
    del models.items[Memo.name]


def entries(path):
    out = {}
    for line in open(path):
        if not line.startswith("#"):
            f = line.split("\t")
            out[f[2]] = [kv for kv in f[7].split(";") if kv.startswith("SpliceAI=")]
    return out


@pytest.mark.parametrize("mask", [False, True])
def test_gtf_scores_equal_table_scores(memo_model, tmp_path, mask):
    vcf = tmp_path / "pick.vcf"
    with open(GOLDEN / "chr16_variants.vcf") as src, open(vcf, "w") as dst:
        for line in src:
            if line.startswith("#") or line.split("\t")[2] in PICK:
                dst.write(line)
    runs = {}
    for label, spec, policy in (("table", CHR16_TABLE, None), ("gtf", CHR16_GTF, "locus")):
        out = tmp_path / f"{label}.vcf"
        score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation=str(spec),
                                               model=memo_model, mask=mask, transcripts=policy))
        runs[label] = entries(out)
    assert runs["gtf"] == runs["table"]
    scored = [v for v in runs["table"].values() if v]
    assert len(scored) >= 6 and any("," in v[0] for v in scored)  # overlapping genes included
    assert np.mean([len(v) for v in runs["table"].values()]) > 0


def test_transcript_without_strand_is_left_out_with_its_line(tmp_path, caplog):
    path = write_gencode(tmp_path / "g.gtf")
    text = path.read_text().replace("\t+\t.\tgene_id \"ENSG1.1\"; transcript_id \"T_LONG\"",
                                    "\t.\t.\tgene_id \"ENSG1.1\"; transcript_id \"T_LONG\"")
    path.write_text(text)
    line = 1 + next(i for i, l in enumerate(text.splitlines()) if '"T_LONG"' in l)
    for _ in range(2):  # the second load comes from the parse cache and still warns
        caplog.clear()
        genes = gtf.load(path, "all").genes
        assert "T_LONG" not in [g.transcript for g in genes] and len(genes) == 3
        (warning,) = [r.getMessage() for r in caplog.records]
        assert warning == (f"annotation {path}: 1 transcript without a strand left out "
                           f"(first: T_LONG, strand '.' at line {line})")


def test_gff3_transcript_without_strand_names_its_line(tmp_path, caplog):
    path = tmp_path / "g.gff3"
    path.write_text("##gff-version 3\n"
                    "chr1\t.\tgene\t100\t900\t.\t+\t.\tID=gene:G1;Name=GENEA\n"
                    "chr1\t.\tmRNA\t100\t900\t.\t+\t.\tID=transcript:T1;Parent=gene:G1\n"
                    "chr1\t.\texon\t100\t400\t.\t+\t.\tParent=transcript:T1\n"
                    "chr1\t.\tmRNA\t100\t900\t.\t?\t.\tID=transcript:T2;Parent=gene:G1\n"
                    "chr1\t.\texon\t100\t900\t.\t?\t.\tParent=transcript:T2\n")
    genes = gtf.load(path, "all").genes
    assert [g.transcript for g in genes] == ["T1"] and genes[0].strand == "+"
    assert "(first: T2, strand '?' at line 5)" in caplog.text


@pytest.mark.parametrize("start, end, why", [
    ("400", "300", "exon start 400 is past its end 300"),
    ("4x0", "500", "start '4x0' and end '500' must be whole numbers")])
def test_backwards_or_unreadable_exon_is_refused_with_its_line(tmp_path, start, end, why):
    from spliceannot.errors import InputError

    path = write_gencode(tmp_path / "g.gtf")
    lines = path.read_text().splitlines()
    n = next(i for i, l in enumerate(lines) if "\texon\t600\t700\t" in l)
    lines[n] = lines[n].replace("\t600\t700\t", f"\t{start}\t{end}\t")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        gtf.load(path, "all")
    assert str(caught.value) == f"annotation {path} line {n + 1}: {why}"
