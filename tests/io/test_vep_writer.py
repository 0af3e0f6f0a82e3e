"""The VEP-ready export: parsed with the rules of Ensembl VEP's SpliceAI plugin, found by tabix."""

import re

import pysam
import pytest

from support.paths import CHR16_FASTA, CHR16_GTF, GOLDEN
from support.fakes import BaseCountModel, add_models
from spliceannot import registry
from spliceannot.errors import UsageError
from spliceannot.pipeline import Options, score_file


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vep")
    # The chr16 GTF with gene symbols added, so SYMBOL is a symbol as VEP matches it.
    gtf = tmp / "chr16_symbols.gtf"
    with open(CHR16_GTF) as src, open(gtf, "w") as dst:
        for line in src:
            tid = re.search(r'transcript_id "([^"]+)"', line).group(1)
            dst.write(line.rstrip("\n").rstrip() + f' gene_name "SYM{tid[3:]}";\n')
    # Input in reverse order: the export must sort for tabix.
    lines = open(GOLDEN / "chr16_variants.vcf").readlines()
    head = [l for l in lines if l.startswith("#")]
    body = [l for l in lines if not l.startswith("#")]
    vcf = tmp / "reversed.vcf"
    vcf.write_text("".join(head + body[::-1]))
    undo = add_models(BaseCountModel())
    runs = {}
    for name in ("out.vcf", "out.vep.vcf.gz"):
        out = tmp / name
        score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation=str(gtf),
                                               model=BaseCountModel.name, transcripts="all"))
        runs[name] = out
    undo()
    yield runs, gtf
    undo()


def vep_parse(line):
    """What VEP's SpliceAI plugin takes from one line (its parse_data, re-stated)."""
    chrom, pos, _id, ref, alt, _q, _f, info = line.rstrip("\n").split("\t")
    info = info.replace("SpliceAI=", "", 1)
    allele, gene, rest = info.split("|", 2)
    return {"chrom": chrom, "pos": int(pos), "ref": ref, "alt": alt, "allele": allele,
            "gene": gene, "values": rest.split("|")}


def test_lines_follow_the_vep_plugin_rules(setup):
    runs, gtf = setup
    genes = registry.load_annotation(str(gtf), transcripts="all")
    body = [l for l in pysam.BGZFile(str(runs["out.vep.vcf.gz"])).read().decode().splitlines()
            if not l.startswith("#")]
    assert body
    for line in body:
        fields = line.split("\t")
        assert len(fields) == 8 and re.fullmatch(r"SpliceAI=[^;,=]+", fields[7]), line
        hit = vep_parse(line)
        assert hit["allele"] == hit["alt"] and "," not in hit["alt"]
        assert len(hit["values"]) == 8 and all(v != "." for v in hit["values"])
        assert all(0 <= float(v) <= 1 for v in hit["values"][:4])
        symbols = {g.name for g in genes.overlapping(hit["chrom"], hit["pos"])}
        assert hit["gene"] in symbols and hit["gene"].startswith("SYM")


def test_export_holds_every_scored_entry_of_the_vcf(setup):
    runs, _ = setup
    want = set()
    for line in open(runs["out.vcf"]):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        for kv in f[7].split(";"):
            if kv.startswith("SpliceAI="):
                for entry in kv[9:].split(","):
                    if entry.split("|")[2] != ".":
                        want.add((f[0], int(f[1]), f[3], entry))
    got = set()
    with pysam.TabixFile(str(runs["out.vep.vcf.gz"])) as tbx:
        for chrom, pos, ref, entry in sorted(want):
            hits = [vep_parse(l) for l in tbx.fetch(chrom, pos - 1, pos)]
            for h in hits:
                if h["pos"] == pos and h["ref"] == ref:
                    got.add((chrom, pos, ref, "|".join([h["allele"], h["gene"]] + h["values"])))
    assert len(want) > 100 and got == want


def test_header_records_run_and_hashes(setup):
    runs, _ = setup
    with pysam.VariantFile(str(runs["out.vep.vcf.gz"])) as f:
        meta = {r.key: r.value for r in f.header.records if r.key.startswith("spliceannot_")}
        assert "SpliceAI" in f.header.info
    assert meta["spliceannot_model"] == BaseCountModel.name
    assert meta["spliceannot_model_hash"].startswith("sha256:")
    assert meta["spliceannot_annotation_hash"].startswith("sha256:")
    assert meta["spliceannot_transcripts"] == "all"
    text = open(runs["out.vcf"]).read()
    for key in ("version", "model_hash", "annotation", "annotation_hash", "distance", "mask"):
        assert f"##spliceannot_{key}=" in text


def test_stdout_is_refused(tmp_path):
    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    undo = add_models(BaseCountModel())
    try:
        with pytest.raises(UsageError, match="vep writer"):
            score_file(str(vcf), "-", Options(reference=str(CHR16_FASTA), format="vep",
                                              annotation=str(CHR16_GTF), model=BaseCountModel.name))
    finally:
        undo()


@pytest.mark.parametrize("trim", [False, True])
def test_lines_are_minimal_so_vep_finds_them(tmp_path, trim):
    """VEP looks a variant up by its minimal spelling (one anchor base). Records spelled with
    extra shared bases are exported in that spelling, with the scores 1.3.1 gives a normalized
    VCF, with or without --trim-alleles."""
    from spliceannot.io.reference import Reference

    ref = Reference(str(CHR16_FASTA))

    def s(pos, n=1):
        return ref.fetch("chr16", pos - 1, pos - 1 + n).upper()

    def other(b):
        return "A" if b != "A" else "C"

    head = ("##fileformat=VCFv4.2\n##contig=<ID=chr16>\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    # (as spelled, as VEP looks it up)
    pairs = [((97430, s(97430, 2), s(97430, 2) + s(97431)), (97430, s(97430), s(97430, 2))),
             ((97460, s(97460, 3), s(97460, 2)), (97461, s(97461, 2), s(97461))),
             ((97440, s(97440, 2), other(s(97440)) + s(97441)), (97440, s(97440), other(s(97440)))),
             ((97450, s(97450), s(97450) + "GT"), (97450, s(97450), s(97450) + "GT"))]
    if s(97460, 3)[2] != s(97460, 3)[1]:  # AGG>AG trims only when the last bases repeat
        pairs[1] = ((97460, s(97460, 3), s(97460) + s(97462)),
                    (97460, s(97460, 2), s(97460)))
    ref.close()
    spelled, minimal = tmp_path / "spelled.vcf", tmp_path / "minimal.vcf"
    spelled.write_text(head + "".join(f"chr16\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for (p, r, a), _ in pairs))
    minimal.write_text(head + "".join(f"chr16\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for _, (p, r, a) in pairs))
    undo = add_models(BaseCountModel())
    try:
        opts = dict(reference=str(CHR16_FASTA), annotation=str(CHR16_GTF),
                    model=BaseCountModel.name)
        export = tmp_path / "out.vep.vcf.gz"
        score_file(str(spelled), str(export), Options(trim_alleles=trim, **opts))
        direct = tmp_path / "normalized.vcf"
        score_file(str(minimal), str(direct), Options(**opts))  # 1.3.1 on the normalized VCF
    finally:
        undo()
    want = {}
    for line in open(direct):
        if not line.startswith("#"):
            f = line.rstrip("\n").split("\t")
            want[(int(f[1]), f[3], f[4])] = f[7].split("SpliceAI=")[1].split(",")
    with pysam.TabixFile(str(export)) as tbx:
        for _, (pos, r, a) in pairs:
            hits = [vep_parse(l) for l in tbx.fetch("chr16", pos - 1, pos)]
            found = ["|".join([h["allele"], h["gene"]] + h["values"]) for h in hits
                     if (h["pos"], h["ref"], h["alt"]) == (pos, r, a)]
            assert found == want[(pos, r, a)], (pos, r, a)
