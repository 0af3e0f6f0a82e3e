"""Generic entries: a model family of its own (tests/data/plugins/family/peak_family.py) is written
by every writer, the API rows and serve from its declared fields, with no writer knowing it."""

import gzip
import json

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA
from spliceannot import registry
from spliceannot.io.reference import Reference
from spliceannot.io.variant import Variant
from spliceannot.options import Options, Settings
from spliceannot.pipeline import score_file
from spliceannot.plugins import get_plugin_manager, load_plugins_dir
from spliceannot.records import Output, Result, all_finite, numbers, rows, status
from spliceannot.semantics.spliceai import OUTPUT as SPLICEAI, DeltaScore

D = 10


@pytest.fixture(scope="module")
def family():
    names = load_plugins_dir(DATA / "plugins" / "family")
    registry.reset()
    module = __import__(names[0])
    yield module
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()


def base(ref, pos, n=1):
    return ref.fetch("chr16", pos - 1, pos - 1 + n).upper()


def other(b):
    return "A" if b != "A" else "C"


@pytest.fixture(scope="module")
def variants():
    ref = Reference(CHR16_FASTA)
    r1, mnv, r3 = base(ref, 12272), base(ref, 12300, 2), base(ref, 12400)
    ref.close()
    return [Variant("chr16", 12272, r1, [other(r1)], "snv"),
            Variant("chr16", 12300, mnv, [other(mnv[0]) + other(mnv[1])], "mnv"),
            Variant("chr16", 12400, r3, [other(r3), "*"], "multi"),
            Variant("chr16", 44000, "A", ["C"], "nogene")]


@pytest.fixture(scope="module")
def expected(family, variants):
    """The entries the family's scorer gives, straight from its plan/run/finish."""
    from spliceannot.scorer import ScoringContext

    model, scorer = registry.model("peak-tiny"), registry.scorers().get("peak")
    genes = registry.load_annotation(str(CHR16_TABLE))
    ref = Reference(CHR16_FASTA)
    ctx = ScoringContext(ref, genes, model, Settings(distance=D), Options(distance=D))
    results = scorer.score(variants, ctx)
    # One value by hand: PEAK is the largest ALT - REF rise of acceptor or donor probability.
    task = scorer.plan(variants[0], ctx).tasks()[0]
    y_ref, y_alt = (model.predict(x[None])[0] for x in (task.x_ref, task.x_alt))
    ref.close()
    assert results[0].entries[0].peak == pytest.approx(float((y_alt[:, 1:] - y_ref[:, 1:]).max()))
    return results


def write(tmp_path, variants, name):
    vcf = tmp_path / "in.vcf"
    body = ["##fileformat=VCFv4.2", "##contig=<ID=chr16>",
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    body += [f"chr16\t{v.pos}\t{v.id}\t{v.ref}\t{','.join(v.alts)}\t.\t.\t." for v in variants]
    vcf.write_text("\n".join(body) + "\n")
    out = tmp_path / name
    score_file(str(vcf), str(out), Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                                           model="peak-tiny", distance=D))
    return out


def test_the_family_declares_its_fields(family):
    assert family.OUTPUT.route == "peak" and family.OUTPUT.info_id == "Peak"
    assert len(open(family.__file__).read().splitlines()) < 80


def test_vcf(family, variants, expected, tmp_path):
    for name in ("out.vcf", "out.vcf.gz"):
        out = write(tmp_path, variants, name)
        text = (gzip.open(out, "rt") if name.endswith(".gz") else open(out)).read()
        assert ('##INFO=<ID=Peak,Number=.,Type=String,Description="Peak splice-site rise. '
                'Format: ALLELE|GENE|PEAK|AT|NOTE">') in text
        assert "SpliceAI" not in text
        info = {line.split("\t")[2]: line.split("\t")[7]
                for line in text.splitlines() if not line.startswith("#")}
        for v, r in zip(variants, expected):
            want = "Peak=" + ",".join(e.info_text() for e in r.entries) if r.entries and \
                r.reason is None else "."
            assert info[v.id] == want
    snv = expected[0].entries[0]
    assert info["snv"].startswith(f"Peak={snv.alt}|{snv.gene}|{snv.peak:.3f}|{snv.at}|")
    assert info["mnv"].endswith("|.|.|.") and info["nogene"] == "."


def test_tsv(family, variants, expected, tmp_path):
    lines = write(tmp_path, variants, "out.tsv").read_text().splitlines()
    rows_ = [line.split("\t") for line in lines if not line.startswith("##")]
    assert rows_[0] == ["CHROM", "POS", "ID", "REF", "ALLELE", "GENE", "PEAK", "AT", "NOTE",
                        "STATUS"]
    by_id = {}
    for row in rows_[1:]:
        by_id.setdefault(row[2], []).append(row[4:])
    snv = expected[0].entries[0]
    assert by_id["snv"][0] == [snv.alt, snv.gene, f"{snv.peak:.3f}", str(snv.at),
                               snv.note or ".", "scored"]
    assert all(r[2:] == [".", ".", ".", "no scores"] for r in by_id["mnv"])  # not "scored"
    assert by_id["multi"][-1] == ["*", ".", ".", ".", ".", "skipped: ALT missing or '*'"]
    assert by_id["nogene"] == [["C", ".", ".", ".", ".", "unscored: no overlapping gene"]]


def test_jsonl(family, variants, expected, tmp_path):
    lines = [json.loads(line) for line in write(tmp_path, variants, "out.jsonl").open()]
    recs = {r["id"]: r for r in lines[1:]}
    snv = expected[0].entries[0]
    got = recs["snv"]["scores"][0]
    assert got["allele"] == snv.alt and got["gene"] == snv.gene and got["AT"] == snv.at
    assert got["PEAK"] == round(snv.peak, 3) and "scored" not in got
    assert recs["mnv"]["scores"][0]["scored"] is False and "PEAK" not in recs["mnv"]["scores"][0]
    assert recs["nogene"]["status"] == "unscored"


def test_vep_refuses_entries_that_cannot_move(family, variants, tmp_path):
    from spliceannot.errors import UsageError

    with pytest.raises(UsageError, match="INFO/Peak entries cannot be moved"):
        write(tmp_path, variants, "out.vep.vcf.gz")


def test_api_rows(family, variants, expected):
    from spliceannot.api import results_rows, score_variants

    results = score_variants(variants, str(CHR16_FASTA), str(CHR16_TABLE), model="peak-tiny",
                             distance=D)
    got = results_rows(results)
    snv = expected[0].entries[0]
    assert got[0] == {"CHROM": "chr16", "POS": 12272, "ID": "snv", "REF": variants[0].ref,
                      "ALLELE": snv.alt, "GENE": snv.gene, "PEAK": snv.peak, "AT": snv.at,
                      "NOTE": snv.note, "STATUS": "scored"}
    statuses = [r["STATUS"] for r in got]
    assert statuses.count("no scores") == len(expected[1].entries)
    assert statuses[-1] == "unscored: no overlapping gene"


def test_serve_answers_from_fields(family, variants, expected):
    pytest.importorskip("fastapi")
    from spliceannot.serve.service import Service

    service = Service(str(CHR16_FASTA), str(CHR16_TABLE), "peak-tiny", distance=D,
                      gene_set="comprehensive")
    assert service.family == "peak"
    v = variants[0]
    answer = service.lookup({"hg": "38", "variant": f"chr16-{v.pos}-{v.ref}-{v.alts[0]}",
                             "distance": str(D), "bc": "comprehensive"})
    snv = expected[0].entries[0]
    assert answer["source"] == "peak:model" and answer["pos"] == v.pos
    assert answer["scores"][0] == family.OUTPUT.json(snv)
    assert answer["scores"][0]["PEAK"] == round(snv.peak, 3)


# ---- the rendering rules, on hand-made entries ----------------------------------------------


def test_spliceai_entries_render_as_before():
    e = DeltaScore("A", "G;1", (0.1234, -0.0, 0.5, 0.0), (1, -2, 3, 0), None, "NM_1")
    assert SPLICEAI.cells(e) == e.info_text().split("|")
    assert SPLICEAI.json(e) == {"allele": "A", "symbol": "G;1", "transcript": "NM_1",
                                "DS_AG": 0.12, "DS_AL": 0.0, "DS_DG": 0.5, "DS_DL": 0.0,
                                "DP_AG": 1, "DP_AL": -2, "DP_DG": 3, "DP_DL": 0}
    mnv = DeltaScore("A", "G", raw=())
    raw = SPLICEAI.for_run(Settings(raw=True))
    assert raw.cells(mnv) == mnv.info_text().split("|") and status(mnv) == "no scores"
    assert raw.json(mnv) == {"allele": "A", "symbol": "G", "scored": False}
    assert e.at(2, "C").info_text() == "C|G%3B1|0.12|-0.00|0.50|0.00|-1|-4|1|-2"


def test_finite_check_reads_every_number():
    class Odd:
        alt = "A"

        def __init__(self, value):
            self.value = value

        def fields(self):
            return {"ALLELE": "A", "X": [{"score": self.value}], "Y": "text"}

    assert numbers(Odd(0.5)) == [0.5] and all_finite(Result(None, entries=[Odd(0.5)]))
    assert not all_finite(Result(None, entries=[Odd(float("nan"))]))
    out = Output("Odd", "odd", ("ALLELE", "X", "Y"))
    assert out.route == "odd" and out.cells(Odd(1.0)) == ["A", "[{'score': 1.0}]", "text"]
    assert rows([Result(Variant("c", 1, "A", ["C"]), entries=[Odd(1.0)])])[0]["STATUS"] == "scored"
