"""One model per route: ``/spliceai/`` and ``/pangolin/`` from one process, each answer labelled
with the model family that made it and holding that family's fields only; ``/pangolin/``
answers equal the Pangolin plugin's ``score`` output.

Pangolin runs with tiny random weights in Pangolin's file layout (the plugin's own test helper
writes them); with the real weights (``$SPLICEANNOT_PANGOLIN_DIR`` or ``../shared``) one more
check runs, else it skips.
"""

import os
import pathlib

import pytest

pytest.importorskip("fastapi", reason="spliceannot[serve] (FastAPI) is not installed")
pytest.importorskip("uvicorn", reason="spliceannot[serve] (uvicorn) is not installed")
pytest.importorskip("spliceannot_pangolin", reason="the Pangolin plugin is not installed")

from support import lookup_schema as schema  # noqa: E402
from support.serving import Server  # noqa: E402
from support.pangolin import PLUGIN_TESTS, pangolin_helpers  # noqa: E402
from support.paths import CHR16_FASTA, DATA, REPO  # noqa: E402
from spliceannot import api, registry  # noqa: E402
from spliceannot.plugins import get_plugin_manager, load_plugins_dir  # noqa: E402
from spliceannot.scorer import Output  # noqa: E402
from spliceannot.serve.app import create_app  # noqa: E402
from spliceannot.serve.families import route_of  # noqa: E402
from spliceannot.serve.service import Service  # noqa: E402

GTF = PLUGIN_TESTS / "golden" / "pangolin_chr16.gtf"  # gene lines, Ensembl_canonical tags
U = "".join(line.strip() for line in open(CHR16_FASTA).readlines()[1:]).upper()
D = 30
VARIANTS = [f"chr16-3173-{U[3172]}-{'A' if U[3172] != 'A' else 'C'}",  # '-' gene PG_A
            f"chr16-3180-{U[3179:3183]}-{U[3179]}",  # a deletion
            f"chr16-3190-{U[3189]}-{U[3189]}GGTAAG"]  # an insertion


@pytest.fixture(scope="module")
def two_routes(tmp_path_factory):
    helpers = pangolin_helpers()
    helpers.ensure_registered()
    names = load_plugins_dir(DATA / "plugins")
    folder = helpers.write_tiny_weights(tmp_path_factory.mktemp("tiny_pangolin"))
    old = os.environ.get("SPLICEANNOT_CACHE_DIR")
    os.environ["SPLICEANNOT_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    services = [Service(str(CHR16_FASTA), str(GTF), "tiny-dir", distance=D),
                Service(str(CHR16_FASTA), str(GTF), str(folder), distance=D)]
    server = Server(create_app(services))
    yield server, folder
    server.stop()
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()
    if old is None:
        os.environ.pop("SPLICEANNOT_CACHE_DIR", None)
    else:
        os.environ["SPLICEANNOT_CACHE_DIR"] = old


def test_route_of_a_family():
    class S:
        output = None

    assert route_of(S()) == "spliceai"
    S.output = Output("Pangolin", "", ("GENE",))
    assert route_of(S()) == "pangolin"
    S.output = Output("Other", "", ("GENE",), route="theirs")
    assert route_of(S()) == "theirs"


def test_two_models_one_process_each_labelled(two_routes):
    server, _ = two_routes
    spliceai_only = set(schema.SCORE["spliceai"]) - set(schema.SCORE["pangolin"])
    pangolin_only = set(schema.SCORE["pangolin"]) - set(schema.SCORE["spliceai"])
    for v in VARIANTS:
        status, s = server.get("/spliceai/", hg=38, variant=v, distance=D)
        assert status == 200 and s["source"].startswith("spliceai:model"), s
        assert schema.check_answer(s, "spliceai") == []
        # the page's own query: raw= (the typed text) and variant_consequence= are no options
        status, p = server.get("/pangolin/", hg=38, variant=v, distance=D, bc="basic", mask=0,
                               raw=v, variant_consequence="intron_variant")
        assert status == 200 and p["source"].startswith("pangolin:model"), p
        assert schema.check_answer(p, "pangolin") == [], v
        assert "sai10kPredictions" not in p
        for entry in p["scores"]:  # no SpliceAI field carries a Pangolin number
            assert not spliceai_only & set(entry) and pangolin_only <= set(entry)
        for entry in s["scores"]:
            assert not pangolin_only & set(entry)
        chosen = next(e for e in p["scores"] if e["t_id"] == p["allNonZeroScoresTranscriptId"])
        status, rows = server.get("/pangolin/scores/", hg=38, variant=v, distance=D,
                                  transcript=chosen["t_id"])
        assert status == 200 and schema.check_per_position(rows, "pangolin") == []
        assert {chosen["DP_SG"] + p["pos"], chosen["DP_SL"] + p["pos"]} <= \
            {r["pos"] for r in rows["rows"]}


@pytest.mark.parametrize("mask", [0, 1])
def test_pangolin_route_equals_the_plugins_score(two_routes, mask):
    server, weights = two_routes
    results = api.score_variants(VARIANTS, str(CHR16_FASTA), str(GTF), model=str(weights),
                                 distance=D, mask=bool(mask))
    for v, result in zip(VARIANTS, results):
        _, got = server.get("/pangolin/", hg=38, variant=v, distance=D, mask=mask)
        want = {}
        for e in result.entries:
            (gp, gs), (lp, ls) = (i.split(":") for i in e.items)
            want[e.gene] = (f"{float(gs):.2f}", int(gp), f"{float(ls):.2f}", int(lp))
        # the answer describes each gene by its canonical transcript of the GTF
        assert len(got["scores"]) == len(want) >= 1
        for entry in got["scores"]:
            gene = entry["g_id"]
            assert (entry["DS_SG"], entry["DP_SG"], entry["DS_SL"], entry["DP_SL"]) == want[gene]
            assert entry["t_priority"] in ("C", "MS") and entry["t_id"].startswith("NM_")


def test_position_only_is_refused_on_pangolin(two_routes):
    server, _ = two_routes
    status, got = server.get("/pangolin/", hg=38, variant="16-3173", distance=D)
    assert status == 400 and "position-only" in got["error"] and got["source"] == "pangolin"


@pytest.mark.slow
def test_real_pangolin_weights_answer(tmp_path):
    """With Pangolin's own weights: the route answers the plugin's numbers."""
    folder = pathlib.Path(os.environ.get("SPLICEANNOT_PANGOLIN_DIR") or
                          REPO.parent / "shared" / "data" / "models" / "pangolin")
    if not (folder / "final.1.0.3.v2").is_file():
        pytest.skip("Pangolin's weights are not here ($SPLICEANNOT_PANGOLIN_DIR or "
                    "../shared/data/models/pangolin)")
    pangolin_helpers().ensure_registered()
    service = Service(str(CHR16_FASTA), str(GTF), str(folder), distance=D)
    v = f"chr16-12100-{U[12099]}-{'A' if U[12099] != 'A' else 'C'}"  # 5 kb from the slice's ends
    got = service.lookup({"hg": "38", "variant": v, "distance": str(D)})
    (result,) = api.score_variants([v], str(CHR16_FASTA), str(GTF), model=str(folder),
                                   distance=D)
    (gp, gs), (lp, ls) = (i.split(":") for i in result.entries[0].items)
    entry = got["scores"][0]
    assert got["source"] == "pangolin:model" and schema.check_answer(got, "pangolin") == []
    assert (entry["DS_SG"], entry["DP_SG"], entry["DS_SL"], entry["DP_SL"]) == \
        (f"{float(gs):.2f}", int(gp), f"{float(ls):.2f}", int(lp))


def test_a_pangolin_model_alone_answers_only_its_route(two_routes):
    """Started with Pangolin only, serve has /pangolin/ and no /spliceai/: Pangolin's numbers
    are never answered under SpliceAI's route or label."""
    _, weights = two_routes
    alone = Server(create_app(Service(str(CHR16_FASTA), str(GTF), str(weights), distance=D)))
    try:
        status, got = alone.get("/spliceai/", hg=38, variant=VARIANTS[0], distance=D)
        assert status == 404
        status, got = alone.get("/pangolin/", hg=38, variant=VARIANTS[0], distance=D)
        assert status == 200 and got["source"] == "pangolin:model" and "DS_AG" not in \
            got["scores"][0]
    finally:
        alone.stop()
