"""The pipeline loses no record: every skip reason passes through, in order, counted."""

import gzip

import pysam
import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA
from spliceannot import delta
from spliceannot.models import Model
from spliceannot.pipeline import Options, score_file

MIXED = DATA / "bad" / "alleles_and_refs.vcf"
EXAMPLES_DEMO = DATA.parent.parent / "examples" / "chr16_demo.vcf"


def records(path):
    """(ID, INFO dict) per record of a plain-text VCF."""
    out = []
    for line in open(path):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        info = dict(kv.split("=", 1) for kv in f[7].split(";") if "=" in kv)
        out.append((f[2], info))
    return out


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("ann") / "chr16_plus_chr9.txt"
    rows = open(CHR16_TABLE).read() + "".join(open(DATA / "chr9_gene.txt").readlines()[1:])
    path.write_text(rows)
    return str(path)


@pytest.fixture(scope="module")
def mixed_run(spliceai_model, table, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "mixed.vcf"
    summary = score_file(str(MIXED), str(out), Options(reference=str(CHR16_FASTA), annotation=table))
    return out, summary


def test_every_record_out_in_order_with_expected_outcome(mixed_run):
    out, summary = mixed_run
    got = records(out)
    want = records(MIXED)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert summary.records_in == summary.records_out == len(want) == 18
    for (ident, info), (_, expect) in zip(got, want):
        scored = "SpliceAI" in info
        assert scored == (expect["EXPECT"] == "scored"), ident
        assert info["EXPECT"] == expect["EXPECT"]  # other INFO passes through untouched


def test_counts_by_reason(mixed_run):
    _, summary = mixed_run
    assert summary.scored == 6
    assert dict(summary.unscored) == {
        delta.REF_MISMATCH: 1, delta.PAST_END: 2, delta.REF_TOO_LONG: 1,
        delta.NO_SCORABLE_ALT: 4, delta.NO_ALT: 1, delta.NO_CONTIG: 1, delta.NO_GENE: 2}
    assert dict(summary.alt_skips) == {
        "symbolic ALT": 1, "breakend ALT": 1, "ALT holds a non-ACGTN base": 1,
        "ALT missing or '*'": 2}


def test_summary_reports_model_time(mixed_run):
    """The engine's breakdown, per run: one ALT window per entry that is not '.' (MNVs are)."""
    out, summary = mixed_run
    t = summary.timings
    entries = sum(1 for _, info in records(out) for e in info.get("SpliceAI", "").split(",")
                  if e and "|.|" not in e)
    assert t["alt windows"] == entries == 5
    assert t["ref seconds"] > 0 and t["alt seconds"] > 0
    # the work counter: at least one REF track of five members (~4.5 GMAC each at D=50)
    # and one ALT cone (~1.2 GMAC per member)
    assert t["ref multiply-adds"] > 5 * 4e9 and t["alt multiply-adds"] > 5 * 1e9
    assert summary.to_dict()["timings"]["alt multiply-adds"] == t["alt multiply-adds"]
    assert any(line.startswith("model time: ref seconds") for line in summary.lines())
    assert summary.to_dict()["timings"]["alt windows"] == entries


def test_entries_of_scored_records(mixed_run):
    out, _ = mixed_run
    got = dict(records(out))
    assert got["mnv"]["SpliceAI"] == "GA|NM_006849|.|.|.|.|.|.|.|."
    multi = got["multi_with_star"]["SpliceAI"].split(",")
    assert len(multi) == 1 and multi[0].startswith("T|NM_006849|")  # '*' gets no entry
    # 97424 is the first base of an NM_006849 exon (acceptor p~0.96): the largest acceptor loss
    # sits on the site itself.
    fields = got["ok_snv_plus"]["SpliceAI"].split("|")
    assert fields[:2] == ["T", "NM_006849"] and fields[7] == "0" and float(fields[3]) > 0
    assert got["no_chr_prefix"]["SpliceAI"].startswith("C|NM_006849|")
    assert got["lowercase_ref"]["SpliceAI"].startswith("T|NM_006849|")


def test_tsv_has_a_row_for_every_record(spliceai_model, table, tmp_path):
    out = tmp_path / "mixed.tsv"
    score_file(str(MIXED), str(out), Options(reference=str(CHR16_FASTA), annotation=table))
    lines = [l.rstrip("\n").split("\t") for l in open(out) if not l.startswith("##")]
    header, rows = lines[0], lines[1:]
    assert header[:6] == ["CHROM", "POS", "ID", "REF", "ALLELE", "SYMBOL"] and header[-1] == "STATUS"
    ids = list(dict.fromkeys(r[2] for r in rows))
    assert ids == [i for i, _ in records(MIXED)]
    status = {r[2]: r[-1] for r in rows}
    assert status["past_end"] == "unscored: window runs past contig end"
    assert status["ok_snv_minus"] == "scored"
    star = [r for r in rows if r[2] == "multi_with_star"]
    assert [r[-1] for r in star] == ["scored", "skipped: ALT missing or '*'"]


INTERGENIC = ("##fileformat=VCFv4.2\n##contig=<ID=chr16,length=210155>\n"
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
              "chr16\t44000\ta\tC\tT\t.\t.\t.\nchr16\t90000\tb\tA\tT\t.\t.\t.\n")


@pytest.mark.parametrize("name,magic", [("o.vcf.gz", b"\x1f\x8b"), ("o.bcf", b"\x1f\x8b"),
                                         ("o.vcf", b"##")])
def test_output_type_follows_name(tmp_path, name, magic):
    vcf = tmp_path / "in.vcf"
    vcf.write_text(INTERGENIC)
    out = tmp_path / name
    score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE)))
    assert out.read_bytes()[:2] == magic
    assert not (tmp_path / (name + ".partial")).exists()
    with pysam.VariantFile(str(out)) as f:
        assert [r.id for r in f] == ["a", "b"]
        assert "SpliceAI" in f.header.info
    if name.endswith(".gz"):
        with gzip.open(out, "rt") as h:  # BGZF is gzip-compatible
            assert "##INFO=<ID=SpliceAI" in h.read()


class NanModel(Model):
    """Wraps the tiny test model and poisons the REF track of windows whose centre base is G."""

    name = "nan-test"
    context = 80

    def __init__(self, inner):
        self.inner = inner

    def predict(self, x):
        import numpy as np

        y = self.inner.predict(x)
        centre = x.shape[1] // 2
        for b in range(x.shape[0]):
            if x[b, centre, 2] == 1 and x.shape[1] == 181:
                y[b, 3, 1] = np.nan
        return y


@pytest.fixture
def tiny_models():
    from spliceannot import registry
    from spliceannot.hookspecs import hookimpl
    from spliceannot.plugins import get_plugin_manager, load_plugins_dir

    names = load_plugins_dir(DATA / "plugins")
    inner = registry.models().get("tiny-dir")

    class Plugin:
        @hookimpl
        def register_models(self, register):
            register(NanModel(inner))

    pm = get_plugin_manager()
    pm.register(Plugin(), name="nan-plugin")
    registry.reset()
    yield
    for name in names + ["nan-plugin"]:
        pm.unregister(name=name)
    registry.reset()


def test_nan_guard(tiny_models, tmp_path):
    out = tmp_path / "o.vcf"
    summary = score_file(str(EXAMPLES_DEMO), str(out), Options(
        reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model="nan-test", scorer="delta"))
    text = open(out).read()
    assert "nan" not in text.replace("annotation", "").lower().split("#chrom")[1]
    assert summary.unscored["model output not finite"] >= 1
    assert summary.records_out == summary.records_in == 12


@pytest.mark.parametrize("scorer", ["delta", "fast"])
def test_same_output_whatever_the_chunking(tiny_models, tmp_path, scorer):
    texts = []
    for chunk in (1, 5, 64):
        out = tmp_path / f"o{chunk}.vcf"
        score_file(str(MIXED), str(out), Options(reference=str(CHR16_FASTA),
                   annotation=str(CHR16_TABLE), model="tiny-dir", scorer=scorer, chunk_size=chunk))
        texts.append(open(out).read())
    assert texts[0] == texts[1] == texts[2]
    assert texts[0].count("SpliceAI=") >= 6


@pytest.fixture(scope="module")
def tiny_registered():
    from spliceannot import registry
    from spliceannot.plugins import get_plugin_manager, load_plugins_dir

    names = load_plugins_dir(DATA / "plugins")
    yield registry.models().get("tiny-dir")
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()


def _long_deletions(tmp_path):
    """SNV, 99-base deletion, the same REF with a deletion ALT and an ALT that trims to an SNV,
    a deletion to 5 bases, SNV: with the 80-nt model at -D 50 the window is 181 bases, so a
    REF over 91 bases leaves the ALT window without its right flank."""
    seq = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:])
    s = seq[97399:97599]
    other = "A" if s[0] != "A" else "C"
    rows = [("snv", s[0], other), ("del99", s[:100], s[0]),
            ("del99b", s[:100], f"{s[0]},{other}{s[1:100]}"), ("del95", s[:100], s[:5]),
            ("del90", s[:91], s[0]),  # REF of context/2 + D + 1 bases: the longest that fits
            ("snv2", s[1], "A" if s[1] != "A" else "C")]
    path = tmp_path / "long.vcf"
    path.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + "".join(
        f"chr16\t{97400 + (i == 'snv2')}\t{i}\t{r}\t{a}\t.\t.\t.\n"
        for i, r, a in rows))
    return path


@pytest.mark.parametrize("scorer", ["fast", "delta"])
@pytest.mark.parametrize("extra", [{}, {"trim_alleles": True}, {"pad_ends": True}])
def test_deletion_past_the_model_window_is_a_counted_skip(tiny_registered, tmp_path, scorer,
                                                          extra):
    out = tmp_path / "o.vcf"
    summary = score_file(str(_long_deletions(tmp_path)), str(out), Options(
        reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model="tiny-dir",
        scorer=scorer, **extra))
    got = dict(records(out))
    assert list(got) == ["snv", "del99", "del99b", "del95", "del90", "snv2"]
    assert summary.records_in == summary.records_out == 6
    assert all("SpliceAI" in got[i] for i in ("snv", "snv2", "del90"))
    assert "SpliceAI" not in got["del99"] and "SpliceAI" not in got["del95"]
    if extra.get("trim_alleles"):
        # per ALT: the ALT that trims to an SNV is scored, the deletions are counted skips
        assert got["del99b"]["SpliceAI"].split("|")[0].startswith("A")
        assert "," not in got["del99b"]["SpliceAI"]
        assert summary.scored == 4
        assert dict(summary.alt_skips) == {delta.REF_PAST_WINDOW: 3}
        assert dict(summary.unscored) == {delta.NO_SCORABLE_ALT: 2}
    else:  # as 1.3.1, whose REF check reads the REF from the window: the record is skipped
        assert "SpliceAI" not in got["del99b"]
        assert summary.scored == 3
        assert dict(summary.unscored) == {delta.REF_PAST_WINDOW: 3}


def test_distance_beyond_the_context_scores_alike_in_both_scorers(tiny_registered, tmp_path):
    """-D 200 with the 80-nt model (1.3.1 takes any -D): windows grow, both scorers agree, a
    150-base deletion still fits (REF <= context/2 + D + 1) and is scored."""
    seq = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:])
    s = seq[97399:97599]
    vcf = tmp_path / "d.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   f"chr16\t97400\tsnv\t{s[0]}\t{'A' if s[0] != 'A' else 'C'}\t.\t.\t.\n"
                   f"chr16\t97400\tdel150\t{s[:151]}\t{s[0]}\t.\t.\t.\n")
    outs = {}
    for scorer in ("fast", "delta"):
        out = tmp_path / f"{scorer}.vcf"
        summary = score_file(str(vcf), str(out), Options(
            reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model="tiny-dir",
            scorer=scorer, distance=200))
        assert summary.scored == 2
        outs[scorer] = records(out)
    assert outs["fast"] == outs["delta"]
    dps = [int(v) for v in outs["delta"][1][1]["SpliceAI"].split("|")[6:10]]
    assert all(-200 <= d <= 200 for d in dps)
