"""``spliceannot serve`` over HTTP: a real uvicorn server on a loopback port, driven with urllib.

The JSON is checked against ``score --profile lookup`` for the same variants, the batch and region
endpoints against single lookups and ``predict``, parallel requests against serial answers, and
every refused input for a 4xx with a one-line reason.
"""

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="spliceannot[serve] (FastAPI) is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="spliceannot[serve] (uvicorn) is not installed")

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA  # noqa: E402
from spliceannot import genes as annotation, registry  # noqa: E402
from spliceannot.cli import main  # noqa: E402
from spliceannot.plugins import get_plugin_manager, load_plugins_dir  # noqa: E402
from spliceannot.tracks.prediction import predict_chunks  # noqa: E402
from spliceannot.serve.app import create_app  # noqa: E402
from spliceannot.serve.service import Service  # noqa: E402

SEQ = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:])
# SNVs, indels and delins in '+' and '-' genes, two in overlapping '-' transcripts
VARIANTS = [f"chr16-{p}-{SEQ[p - 1]}-{'A' if SEQ[p - 1] != 'A' else 'G'}"
            for p in (2100, 41000, 60000, 96000, 100500, 150000, 209800)]
VARIANTS += [f"chr16-60010-{SEQ[60009:60013]}-{SEQ[60009]}",
             f"chr16-100600-{SEQ[100599]}-{SEQ[100599]}TTAG",
             f"chr16-96200-{SEQ[96199:96204]}-AGTC", f"chr16-100700-{SEQ[100699:100702]}-GGAAT"]


class Server:
    """uvicorn in a thread on a free 127.0.0.1 port; ``get``/``post`` return (status, body)."""

    def __init__(self, service):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(service, max_body=64_000), log_level="error",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.thread.start()
        for _ in range(200):  # bounded wait for startup
            if self.server.started:
                break
            time.sleep(0.05)
        assert self.server.started

    def request(self, path, data=None, headers=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read(), r.headers.get("content-type", "")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("content-type", "")

    def get(self, path, **params):
        status, body, kind = self.request(path + "?" + urllib.parse.urlencode(params))
        return status, (json.loads(body) if "json" in kind else body)

    def post(self, path, payload, raw=None):
        data = raw if raw is not None else json.dumps(payload).encode()
        status, body, kind = self.request(path, data, {"Content-Type": "application/json"})
        return status, (json.loads(body) if "json" in kind else body)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def tiny():
    names = load_plugins_dir(DATA / "plugins")
    yield "tiny-dir"
    for name in names:
        get_plugin_manager().unregister(name=name)
    registry.reset()


@pytest.fixture(scope="module")
def service(tiny, tmp_path_factory):
    return Service(str(CHR16_FASTA), str(CHR16_TABLE), tiny, distance=50, max_batch=20,
                   max_region=5000, score_cache=str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def server(service):
    s = Server(service)
    yield s
    s.stop()


def cli_scores(tmp_path, variants, distance):
    """variant -> transcript -> jsonl entry, from ``score --profile lookup``."""
    vcf = tmp_path / "in.vcf"
    lines = []
    for i, v in enumerate(variants):
        chrom, pos, ref, alt = v.split("-")
        lines.append(f"{chrom}\t{pos}\tv{i}\t{ref}\t{alt}\t.\t.\t.\n")
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   + "".join(lines))
    out = tmp_path / "out.jsonl"
    try:
        main(["score", str(vcf), "-o", str(out), "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE),
              "--model", "tiny-dir", "--profile", "lookup", "-D", str(distance), "-q"])
    except SystemExit as exc:
        assert not exc.code
    rows = [json.loads(l) for l in open(out)][1:]
    return {v: {e["symbol"]: e for e in r["scores"]} for v, r in zip(variants, rows)}


def test_json_equals_cli_scores(server, tmp_path):
    cli = cli_scores(tmp_path, VARIANTS, 50)
    for v in VARIANTS:
        status, got = server.get("/spliceai/", hg=38, distance=50, mask=0, variant=v)
        assert status == 200, got
        assert got["variant"] == v and got["distance"] == 50 and got["mask"] == 0
        assert got["genomeVersion"] == "38" and got["source"].startswith("spliceai:model")
        assert {s["NAME"] for s in got["scores"]} == set(cli[v])
        for s in got["scores"]:
            e = cli[v][s["NAME"]]
            for k in ("AG", "AL", "DG", "DL"):
                assert s[f"DP_{k}"] == e[f"DP_{k}"]
                # the CLI's raw values carry 4 decimals: equal to the server's 3 up to rounding
                for side in ("REF", "ALT"):
                    assert len(s[f"DS_{k}_{side}"].split(".")[1]) == 3
                    assert abs(float(s[f"DS_{k}_{side}"]) - e[f"{side}_{k}"]) <= 0.00051
                assert abs(float(s[f"DS_{k}"]) - e[f"DS_{k}"]) <= 0.0051
                assert len(s[f"DS_{k}"].split(".")[1]) == 3
            assert s["STRAND"] in "+-" and s["t_id"] == s["NAME"]
        best = next(s for s in got["scores"] if s["NAME"] == got["allNonZeroScoresTranscriptId"])
        assert got["allNonZeroScoresStrand"] == best["STRAND"]
        rows = {r["pos"]: r for r in got["allNonZeroScores"]}
        pos = int(v.split("-")[1])
        for k in ("AG", "AL"):  # every DP is listed, with the REF/ALT values the entry has
            at = rows[pos + best[f"DP_{k}"]]
            assert (at["RA"], at["AA"]) == (best[f"DS_{k}_REF"], best[f"DS_{k}_ALT"])


def test_lookup_spellings_and_defaults(server):
    v = VARIANTS[0]
    chrom, pos, ref, alt = v.split("-")
    _, a = server.get("/spliceai/", hg=38, distance=50, variant=v)
    _, b = server.get("/spliceai/", variant=f"{chrom}:{pos} {ref}>{alt}", distance=50)
    assert a["scores"] == b["scores"]
    status, c = server.get("/spliceai/", variant=v)  # server default D (50 here)
    assert status == 200 and c["distance"] == 50 and c["scores"] == a["scores"]
    status, d = server.post("/spliceai/", {"variant": v, "hg": "38", "distance": 50})
    assert status == 200 and d["scores"] == a["scores"]
    alt = "T" if SEQ[119999] != "T" else "C"
    status, e = server.get("/spliceai/", hg=38, variant=f"chr16-120000-{SEQ[119999]}-{alt}",
                           distance=10, mask=1)
    assert status == 200 and e["mask"] == 1 and e["distance"] == 10


def test_outside_genes_is_an_answer_not_an_error(server):
    alt = "A" if SEQ[44999] != "A" else "C"
    status, got = server.get("/spliceai/", hg=38, variant=f"chr16-45000-{SEQ[44999]}-{alt}")
    assert status == 200 and got["scores"] == [] and "overlaps no transcript" in got["error"]


def test_batch(server, service):
    status, got = server.post("/spliceai/batch", {"variants": VARIANTS[:5] + ["nonsense"],
                                                  "distance": 50, "hg": "38"})
    assert status == 200
    results = got["results"]
    assert len(results) == 6 and "unable to parse" in results[5]["error"]
    for v, r in zip(VARIANTS[:5], results):
        _, single = server.get("/spliceai/", hg=38, distance=50, variant=v)
        assert r["scores"] == single["scores"] and r["variant"] == v
    status, got = server.post("/spliceai/batch", {"variants": VARIANTS[:1] * 21})
    assert status == 400 and "too many variants" in got["error"]


def test_concurrent_requests_equal_serial(server, service):
    params = [dict(hg=38, distance=d, mask=m, variant=v) for v in VARIANTS for d, m in
              ((50, 0), (30, 1))]
    service.memory.clear()  # make the parallel round compute, not read the cache
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda p: server.get("/spliceai/", **p), params))
    serial = [server.get("/spliceai/", **p) for p in params]
    for (s1, a), (s2, b), p in zip(parallel, serial, params):
        assert s1 == s2 == 200
        a.pop("source"), b.pop("source")
        assert a == b, p


def test_region_equals_predict(server, service):
    status, got = server.get("/predict/", region="chr16:100200-100520")
    assert status == 200 and (got["start"], got["end"]) == (100200, 100520)
    genes = registry.load_annotation(str(CHR16_TABLE))
    chunks = list(predict_chunks([("chr16", 100200, 100520)], service.reference, service.model,
                                 genes))
    want = {run.gene: probs for c in chunks for run, probs in c.runs}
    assert {t["gene"] for t in got["tracks"]} == set(want) == {"NM_006849", "NM_003502"}
    for t in got["tracks"]:
        assert np.array_equal(np.float32(t["acceptor"]), want[t["gene"]][:, 0])
        assert np.array_equal(np.float32(t["donor"]), want[t["gene"]][:, 1])
    status, got = server.get("/predict/", region="chr16:1-6000")
    assert status == 400 and "6000 positions > 5000" in got["error"]


def test_plot_is_svg(server):
    status, body = server.get("/plot/", variant=VARIANTS[1], distance=50)
    assert status == 200 and body.lstrip().startswith(b"<?xml") and b"<svg" in body
    assert b"NM_018032" in body or b"NM_201412" in body


def test_page_is_self_contained(server):
    status, body, kind = server.request("/")
    text = body.decode()
    assert status == 200 and "text/html" in kind
    assert 'id="variant"' in text and "http://" not in text and "https://" not in text


BAD = [
    ("/spliceai/", dict(hg=38, variant="chr16-262226-G"), 400, "unable to parse variant"),
    ("/spliceai/", dict(hg=38), 400, '"variant" not specified'),
    ("/spliceai/", dict(hg=38, variant="chrZ-100-A-G"), 400, "contig not in the reference"),
    ("/spliceai/", dict(hg=38, variant=f"chr16-2100-{'C' if SEQ[2099] != 'C' else 'G'}-A"), 400,
     "REF does not match"),
    ("/spliceai/", dict(hg=38, variant=f"chr16-2100-{SEQ[2099:2129]}-{SEQ[2099]}", distance=10), 400,
     "REF longer than"),
    ("/spliceai/", dict(hg=37, variant=VARIANTS[0]), 400, "serves hg38"),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance="x"), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance=-1), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance=20000), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], mask=2), 400, '"mask"'),
    ("/predict/", dict(region="chrZ:1-10"), 400, "contig not in the FASTA"),
    ("/predict/", dict(), 400, '"region" not specified'),
    ("/plot/", dict(variant=VARIANTS[0], transcript="NOPE"), 400, "not scored"),
    ("/nowhere", dict(), 404, "no endpoint"),
]


@pytest.mark.parametrize("path, params, status, message", BAD)
def test_bad_input_gets_a_4xx_line(server, path, params, status, message):
    got_status, got = server.get(path, **params)
    assert got_status == status
    assert message in got["error"] and "\n" not in got["error"] and "Traceback" not in got["error"]


@pytest.mark.parametrize("path, raw, status, message", [
    ("/spliceai/batch", b"{not json", 400, "not valid JSON"),
    ("/spliceai/batch", b"[1, 2]", 400, "must be a JSON object"),
    ("/spliceai/batch", b'{"variants": "chr16-1-A-G"}', 400, "list of strings"),
    ("/spliceai/batch", b"{}", 400, '"variants" not specified'),
    ("/spliceai/batch", json.dumps({"variants": ["x" * 70_000]}).encode(), 413, "over 64000 bytes"),
    ("/spliceai/", b'{"variant": 1}', 400, '"variant" must be a string'),
    ("/spliceai/", b"{not json", 400, "not valid JSON"),
    ("/spliceai/", json.dumps({"variant": "x" * 70_000}).encode(), 413, "over 64000 bytes"),
])
def test_bad_post_bodies(server, path, raw, status, message):
    got_status, got = server.post(path, None, raw=raw)
    assert got_status == status and message in got["error"]


def test_score_cache_persists(service, tiny, tmp_path_factory):
    v = VARIANTS[2]
    first = service.lookup(v, 50, 0)
    # a second service on the same directory answers from the store without computing
    cache_dir = tmp_path_factory.mktemp("store")
    a = Service(str(CHR16_FASTA), str(CHR16_TABLE), tiny, distance=50, score_cache=str(cache_dir))
    x = a.lookup(v, 50, 0)
    b = Service(str(CHR16_FASTA), str(CHR16_TABLE), tiny, distance=50, score_cache=str(cache_dir))
    y = b.lookup(v, 50, 0)
    assert b.stats == {"computed": 0, "memory hits": 0, "store hits": 1}
    assert y.pop("source") == "spliceai:model:cache" and x.pop("source") == "spliceai:model"
    assert x == y and first["scores"] == x["scores"]


def _chromium():
    import shutil

    for browser in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(browser)
        if path:
            return path, shutil.which("chromedriver")
    return None, None


def test_page_in_a_headless_browser(server):
    """Debian's chromium through selenium: enter a variant, get the table and the plot.
    CI installs no browser (.ci/run is pip only), so there this skips; locally:
    apt-get install chromium chromium-driver."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    browser, driver_path = _chromium()
    if not browser or not driver_path:
        pytest.skip("needs a system chromium and chromedriver (apt-get install chromium "
                    "chromium-driver)")
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(driver_path), options=options)
    try:
        driver.get(server.base + "/")
        box = driver.find_element(By.ID, "variant")
        box.send_keys(VARIANTS[1])
        driver.find_element(By.ID, "go").click()
        wait = WebDriverWait(driver, 120)
        table = wait.until(ec.presence_of_element_located((By.ID, "scores")))
        rows = table.find_elements(By.TAG_NAME, "tr")[1:]
        assert {r.get_attribute("data-transcript") for r in rows} == {"NM_018032", "NM_201412"}
        _, expected = server.get("/spliceai/", hg=38, variant=VARIANTS[1])
        first = rows[0].find_elements(By.TAG_NAME, "td")
        s = expected["scores"][0]
        assert first[2].text == f"{s['DS_AG']} ({s['DP_AG']})"
        wait.until(lambda d: d.execute_script(
            "const i = document.getElementById('plot');"
            "return i.complete && i.naturalWidth > 0 && i.style.display === 'block';"))
        assert "/plot/?" in driver.find_element(By.ID, "plot").get_attribute("src")
        # a bad variant shows the server's one-line reason, no table
        box.clear()
        box.send_keys("chr16-12-Q-A")
        driver.find_element(By.ID, "go").click()
        wait.until(lambda d: "unable to parse" in d.find_element(By.ID, "error").text)
        assert not driver.find_elements(By.ID, "scores")
    finally:
        driver.quit()


def test_cli_serve_subprocess(tmp_path):
    """The command the README shows, on a free port: answers, then stops on SIGTERM."""
    import os
    import subprocess
    import sys

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = dict(os.environ, PYTHONPATH=str(DATA.parent.parent))
    proc = subprocess.Popen(
        [sys.executable, "-m", "spliceannot", "serve", "-R", str(CHR16_FASTA), "-A",
         str(CHR16_TABLE), "--model", "tiny-dir", "--plugins-dir", str(DATA / "plugins"),
         "-D", "50", "--port", str(port), "-q"], env=env, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/spliceai/?hg=38&variant={VARIANTS[0]}"
        for _ in range(600):  # bounded: up to ~60 s for imports and loading
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer")
        assert body["distance"] == 50 and body["scores"][0]["NAME"] == "NM_018032"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_serve_refuses_up_front(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--hg", "19"])
    assert exc.value.code == 2 and "--hg must be 37 or 38" in capsys.readouterr().err
