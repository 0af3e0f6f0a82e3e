"""Every field SpliceAI-lookup's page reads, typed as the page uses it, for every variant kind.

The schema (``support.lookup_schema``) lists what the lookup's ``index.html`` and server rely on;
here ``spliceannot serve`` answers are checked against it over HTTP, with the README's serve
command (the SpliceAI-format table annotation) and with the bundled RefSeq GTF: SNVs,
insertions, deletions and delins on both strands, position-only (REF-only) queries as the page
sends them (``16-3173``), the per-position route of every transcript, and the status codes.
"""

import pytest

pytest.importorskip("fastapi", reason="spliceannot[serve] (FastAPI) is not installed")
pytest.importorskip("uvicorn", reason="spliceannot[serve] (uvicorn) is not installed")

from support import lookup_schema as schema  # noqa: E402
from support.serving import Server  # noqa: E402
from support.paths import CHR16_FASTA, CHR16_GTF, CHR16_TABLE, DATA  # noqa: E402
from spliceannot import registry  # noqa: E402
from spliceannot.plugins import get_plugin_manager, load_plugins_dir  # noqa: E402
from spliceannot.serve.app import create_app  # noqa: E402
from spliceannot.serve.service import Service  # noqa: E402

U = "".join(line.strip() for line in open(CHR16_FASTA).readlines()[1:]).upper()
D = 40


def _other(base):
    return next(b for b in "ACGT" if b != base)


def kinds(p):
    """An SNV, an insertion, a deletion, a longer-REF and a longer-ALT delins at ``p``, spelt
    as the page sends them (no "chr")."""
    r = U[p - 1]
    three = U[p - 1:p + 2]
    return {
        "snv": f"16-{p}-{r}-{_other(r)}",
        "insertion": f"16-{p}-{r}-{r}TTAGC",
        "deletion": f"16-{p}-{U[p - 1:p + 3]}-{r}",
        "delins (longer REF)": f"16-{p}-{three}-{_other(three[0])}{_other(three[2])}",
        "delins (longer ALT)": f"16-{p}-{three[:2]}-{_other(three[0])}GAT{_other(three[1])}",
    }


# NM_018032/NM_201412 on '-' (a donor at 3172), NR_104317/NM_001284497 on '+' (67718)
STRANDS = {"-": 3173, "+": 67719}
CASES = [(strand, kind, text) for strand, p in STRANDS.items() for kind, text in kinds(p).items()]




@pytest.fixture(scope="module", params=["table", "gtf"])
def served(request, tiny, tmp_path_factory):
    """The README's serve command (the table annotation, defaults) and the RefSeq GTF."""
    import os

    old = os.environ.get("SPLICEANNOT_CACHE_DIR")
    os.environ["SPLICEANNOT_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    annotation = CHR16_TABLE if request.param == "table" else CHR16_GTF
    service = Service(str(CHR16_FASTA), str(annotation), tiny, distance=D)
    server = Server(create_app(service))
    yield request.param, server
    server.stop()
    if old is None:
        os.environ.pop("SPLICEANNOT_CACHE_DIR", None)
    else:
        os.environ["SPLICEANNOT_CACHE_DIR"] = old


def page_query(variant, **extra):
    """The query string the page builds for a variant (urlArgs in its index.html)."""
    return dict(hg="38", bc="basic", distance=D, mask=0, variant=variant, raw=variant,
                variant_consequence="", **extra)


@pytest.mark.parametrize("strand, kind, text", CASES, ids=[f"{s}{k}" for s, k, _ in CASES])
def test_every_field_the_page_reads(served, strand, kind, text):
    name, server = served
    status, got = server.get("/spliceai/", **page_query(text))
    assert status == 200, got
    assert schema.check_answer(got, "spliceai") == [], (name, kind)
    assert got["source"] in ("spliceai:model", "spliceai:model:cache")
    assert strand in {s["t_strand"] for s in got["scores"]}
    assert got["allNonZeroScoresStrand"] == strand or len({s["t_strand"] for s in got["scores"]}) > 1
    for s in got["scores"]:
        status, rows = server.get("/spliceai/scores/", **page_query(text, transcript=s["t_id"]))
        assert status == 200 and schema.check_per_position(rows, "spliceai") == []
        assert rows["transcript"] == s["t_id"] and rows["strand"] == s["t_strand"]
        shown = [r for r in rows["rows"] if max(float(r[k]) for k in ("RA", "AA", "RD", "AD"))
                 >= 0.01]
        assert len(shown) == s["nNonZeroScores"]  # the count the page's table icon reads
        assert got["pos"] in {r["pos"] for r in rows["rows"]}  # the variant's own row
        if s["t_id"] == got["allNonZeroScoresTranscriptId"]:
            assert got["allNonZeroScores"] == shown  # the top level keeps rows reaching 0.01
    if kind == "insertion":
        assert any(s["SCORES_FOR_INSERTED_BASES"] is not None for s in got["scores"])


@pytest.mark.parametrize("strand", sorted(STRANDS))
@pytest.mark.parametrize("spelling", ["16-{p}", "chr16:{p}", "chr16 {p}"])
def test_position_only(served, strand, spelling):
    """The page's REF-only search: a bare position; no ref/alt/mask in the answer."""
    name, server = served
    p = STRANDS[strand]
    text = spelling.format(p=p)
    status, got = server.get("/spliceai/", hg="38", bc="basic", distance=D, variant=text,
                             raw=text, mask=1)
    assert status == 200, got
    assert schema.check_answer(got, "spliceai", position=True) == [], name
    assert got["isPositionOnly"] is True and got["pos"] == p and got["chrom"] == "16"
    for s in got["scores"]:
        assert -D <= s["RA_MAX_POS"] <= D and -D <= s["RD_MAX_POS"] <= D
    best = max(float(r["RA"]) for r in got["allNonZeroScores"])
    chosen = next(s for s in got["scores"] if s["t_id"] == got["allNonZeroScoresTranscriptId"])
    assert f"{best:.3f}" == chosen["RA_MAX"]  # the strongest REF acceptor is among the rows
    status, rows = server.get("/spliceai/scores/", hg="38", distance=D, variant=text,
                              transcript=chosen["t_id"])
    assert status == 400 and "position-only" in rows["error"]


@pytest.mark.parametrize("params, needle", [
    (dict(variant="16-3173-C-Q"), 'Unable to parse "variant"'),
    (dict(variant="nonsense"), 'Unable to parse "variant"'),
    (dict(variant="16-3173-C-"), 'Unable to parse "variant"'),
    (dict(variant="16-3173-C-G", hg=""), '"hg" not specified'),
    (dict(variant="16-3173-C-G", distance="x"), '"distance"'),
    (dict(variant="16-3173-C-G", mask="2"), '"mask"'),
    (dict(variant="16-3173-C-G", bc="comprehensive"), '"basic" gene set'),
    (dict(variant="16-3173-C-G", transcript="NM_NOPE"), "not found"),
])
def test_status_codes(served, params, needle):
    """The lookup's 400s, each a one-line ``error`` (+ ``source``) with CORS."""
    _, server = served
    query = {"hg": "38", "distance": D, **params}
    path = "/spliceai/scores/" if "transcript" in params else "/spliceai/"
    status, got = server.get(path, **query)
    assert status == 400 and schema.problems(got, schema.ERROR, "spliceai") == []
    assert needle in got["error"] and got["source"] == "spliceai"
    import urllib.parse

    _, _, headers = server.request(path + "?" + urllib.parse.urlencode(query))
    assert headers["access-control-allow-origin"] == "*"


def test_gtf_fields(served):
    """With the GTF: the coding extent includes the stop codon (NM_001284497's CDS lines end at
    78056, its stop codon at 78059); transcripts without a CDS or type are still typed."""
    name, server = served
    _, got = server.get("/spliceai/", **page_query(kinds(67719)["snv"]))
    by_id = {s["t_id"]: s for s in got["scores"]}
    if name == "gtf":
        assert (by_id["NM_001284497"]["CDS_START"], by_id["NM_001284497"]["CDS_END"]) == \
            (67451, 78059)
        assert by_id["NR_104317"]["CDS_START"] is None
    assert by_id["NM_001284497"]["t_type"] == "protein_coding"
    assert by_id["NR_104317"]["t_type"] == "non_coding"
    assert all(s["g_id"] and s["g_name"] for s in got["scores"])
