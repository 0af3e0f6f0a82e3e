"""``spliceannot serve`` over HTTP: a real uvicorn server on a loopback port, driven with urllib.

The main check builds each answer the way SpliceAI-lookup's server builds it -- re-implemented
here from its behaviour (its server.py and the SpliceAI fork it runs: windows centred on POS,
N outside the transcript, the alignment of REF and ALT tracks, DS/DP, ALL_NON_ZERO_SCORES with
its bases, SCORES_FOR_INSERTED_BASES, transcript annotation fields, the choice of transcript)
with the model called window by window -- and compares it field by field with the server's,
which runs the pipeline (plan, engine, finish). The rest: the batch scores in one pipeline call,
CORS on every answer, every malformed request a 4xx with one line, bounded work, the page.
"""

import json
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="spliceannot[serve] (FastAPI) is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="spliceannot[serve] (uvicorn) is not installed")

from support.serving import Server, free_port  # noqa: E402
from support.paths import CHR16_FASTA, CHR16_GTF, CHR16_TABLE, DATA  # noqa: E402
from spliceannot import registry  # noqa: E402
from spliceannot.cli import main  # noqa: E402
from spliceannot.plugins import get_plugin_manager, load_plugins_dir  # noqa: E402
from spliceannot.serve.app import create_app  # noqa: E402
from spliceannot.serve.service import AnswerCache, Service  # noqa: E402
from spliceannot.tracks.prediction import predict_chunks  # noqa: E402

SEQ = "".join(l.strip() for l in open(CHR16_FASTA).readlines()[1:])  # soft-masked: some lower
U = SEQ.upper()  # what a user types (the lookup's variant pattern takes upper case only)
D = 50


def other(base, avoid=""):
    return next(b for b in "ACGT" if b != base.upper() and b not in avoid)


def delins(pos, r, a):
    """A delins at pos with no base shared at either end (so the spelling is minimal)."""
    ref = U[pos - 1:pos - 1 + r]
    alt = "".join(other(ref[min(i, r - 1)], ref[0] + ref[-1]) for i in range(a))
    return f"chr16-{pos}-{ref}-{alt}"


# SNVs, deletions, insertions, delins (longer REF, longer ALT) and an MNV, on '+' and '-' genes,
# some in overlapping transcripts (NM_018032/NM_201412 '-', NM_006849/NM_003502).
VARIANTS = [f"chr16-{p}-{U[p - 1]}-{other(U[p - 1])}"
            for p in (3173, 41000, 60000, 96000, 100500, 150000, 209800)]
VARIANTS += [f"chr16-60010-{U[60009:60013]}-{U[60009]}",
             f"chr16-100600-{U[100599]}-{U[100599]}TTAG",
             f"chr16-3173-{U[3172]}-{U[3172]}GTAAGT",
             delins(96200, 5, 4), delins(100700, 3, 5), delins(3170, 4, 2), delins(41002, 2, 2)]

# Tags, names and types the test GTF gives transcripts (the chr16 RefSeq GTF has none).
GENE1 = {"NM_018032": ["MANE_Select", "basic"], "NM_201412": ["Ensembl_canonical"]}


def write_gtf(path):
    """The chr16 RefSeq GTF with GENCODE-style attributes: gene_name, gene_id, tags, type."""
    lines = []
    for line in open(CHR16_GTF):
        fields = line.rstrip("\n").split("\t")
        tid = re.search(r'transcript_id "([^"]+)"', fields[8]).group(1)
        gid, name = ("GENE1", "GENEONE") if tid in GENE1 else (f"G_{tid}", f"SYM_{tid}")
        tags = GENE1.get(tid, ["basic"])
        kind = "protein_coding" if tid.startswith("NM_") else "lncRNA"
        attrs = (f'gene_id "{gid}"; transcript_id "{tid}"; gene_name "{name}"; '
                 f'transcript_type "{kind}"; ' + " ".join(f'tag "{t}";' for t in tags))
        lines.append("\t".join(fields[:8] + [attrs]) + "\n")
    path.write_text("".join(lines))
    return path


def gtf_structure(path):
    """transcript -> the lookup's annotation and structure fields, read from the GTF here."""
    out = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        attrs = dict(re.findall(r'(\w+) "([^"]*)"', f[8]))
        tags = re.findall(r'tag "([^"]*)"', f[8])
        t = out.setdefault(attrs["transcript_id"], {
            "g_name": attrs["gene_name"], "g_id": attrs["gene_id"], "t_id": attrs["transcript_id"],
            "t_type": attrs["transcript_type"], "t_strand": f[6],
            "t_priority": "MS" if "MANE_Select" in tags else "C" if "Ensembl_canonical" in tags
            else "N", "t_refseq_ids": [attrs["transcript_id"]],
            "EXON_STARTS": [], "EXON_ENDS": [], "CDS_START": None, "CDS_END": None,
            "basic": "basic" in tags})
        if f[2] == "exon":
            t["EXON_STARTS"].append(int(f[3]))
            t["EXON_ENDS"].append(int(f[4]))
        elif f[2] in ("CDS", "stop_codon"):  # the lookup's coding extent holds the stop codon
            t["CDS_START"] = min(t["CDS_START"] or int(f[3]), int(f[3]))
            t["CDS_END"] = max(t["CDS_END"] or 0, int(f[4]))
    for t in out.values():
        t["EXON_STARTS"].sort()
        t["EXON_ENDS"].sort()
    return out


# ---- SpliceAI-lookup's answer, re-implemented from its behaviour ---------------------------------

def onehot(seq):
    table = {"A": 0, "C": 1, "G": 2, "T": 3}
    x = np.zeros((len(seq), 4), dtype=np.float32)
    for i, b in enumerate(seq.upper()):
        if b in table:
            x[i, table[b]] = 1
    return x


def trim(ref, alt):
    dropped = 0
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, dropped = ref[1:], alt[1:], dropped + 1
    return dropped, ref, alt


def align(y_ref, y_alt, ref, alt, cov):
    """The lookup's lining-up of the ALT track on REF positions."""
    dropped, ref, alt = trim(ref, alt)
    s = cov // 2 + dropped
    if len(ref) == len(alt):
        return y_alt
    if len(alt) == 1:
        return np.concatenate([y_alt[:s + 1], np.zeros((len(ref) - 1, 3)), y_alt[s + 1:]])
    if len(ref) == 1:
        return np.concatenate([y_alt[:s], y_alt[s:s + len(alt)].max(axis=0)[None],
                               y_alt[s + len(alt):]])
    span = y_ref[s:s + len(ref)].copy()
    for c in range(3):  # the strongest REF base of the span takes the ALT bases' maximum
        span[span[:, c].argmax(), c] = y_alt[s:s + len(alt), c].max()
    return np.concatenate([y_alt[:s], span, y_alt[s + len(alt):]])


def lookup_answer(text, model, transcripts, genes, distance, mask, hg="38", bc=None):
    """What the lookup's server answers for ``text``, computed window by window."""
    f3 = "{:0.3f}".format
    chrom, pos, ref, alt = text.split("-")
    pos = int(pos)
    cov, ctx = 2 * distance + 1, model.context
    wid = ctx + cov
    lo = pos - wid // 2
    window = "".join(SEQ[p - 1] if 1 <= p <= len(SEQ) else "N" for p in range(lo, lo + wid))
    coords = np.arange(pos - cov // 2, pos + cov // 2 + 1)
    dropped, t_ref, t_alt = trim(ref, alt)
    start = pos + dropped
    scores, chosen = [], []
    for g in genes:
        if not (g["tx_start"] <= pos <= g["tx_end"]):
            continue
        pad = (max(wid // 2 + g["tx_start"] - pos, 0), max(wid // 2 - (g["tx_end"] - pos), 0))
        x_ref = "N" * pad[0] + window[pad[0]:wid - pad[1]] + "N" * pad[1]
        x_alt = x_ref[:wid // 2] + alt + x_ref[wid // 2 + len(ref):]
        xs = [onehot(x_ref), onehot(x_alt)]
        if g["strand"] == "-":
            xs = [x[::-1, ::-1] for x in xs]
        y_ref, y_alt = (model.predict(np.ascontiguousarray(x)[None])[0] for x in xs)
        if g["strand"] == "-":
            y_ref, y_alt = y_ref[::-1], y_alt[::-1]
        raw_alt = y_alt
        y_alt = align(y_ref, y_alt, ref, alt, cov)
        y = [y_ref, y_alt]
        if y_alt.dtype != y_ref.dtype:
            y = [y_ref.astype(y_alt.dtype), y_alt]
        idx = [int((y[1][:, 1] - y[0][:, 1]).argmax()), int((y[0][:, 1] - y[1][:, 1]).argmax()),
               int((y[1][:, 2] - y[0][:, 2]).argmax()), int((y[0][:, 2] - y[1][:, 2]).argmax())]
        bounds = sorted(set(g["starts"]) | set(g["ends"]))
        nearest = min((b - pos for b in bounds), key=abs)
        ds = []
        for k, (i, c, gain) in enumerate(zip(idx, (1, 1, 2, 2), (True, False, True, False))):
            value = (y[1][i, c] - y[0][i, c]) if gain else (y[0][i, c] - y[1][i, c])
            masked = mask and ((i - cov // 2 == nearest) == gain)
            ds.append(value * (1 - masked))
        keep = np.flatnonzero(np.max([y[0][:, 1], y[1][:, 1], y[0][:, 2], y[1][:, 2]], axis=0)
                              >= 0.01)
        rows = []
        for i in sorted({int(i) for i in keep} | set(idx) | {cov // 2}):
            p = int(coords[i])
            base = SEQ[p - 1].upper()
            if p == start and len(ref) != len(alt):
                rb, ab = t_ref, t_alt
            elif start <= p < start + len(t_ref):
                rb, ab = base, (t_alt[p - start] if len(t_ref) == len(t_alt) else "-")
            else:
                rb = ab = base
            rows.append({"pos": p, "ref": rb, "alt": ab, "RA": f3(y[0][i, 1]),
                         "AA": f3(y[1][i, 1]), "RD": f3(y[0][i, 2]), "AD": f3(y[1][i, 2])})
        inserted = []
        dp = [i - cov // 2 for i in idx]
        if len(t_ref) == 1 and len(t_alt) > 1 and ((ds[0] >= 0.01 and dp[0] == dropped)
                                                  or (ds[2] >= 0.01 and dp[2] == dropped)):
            a, k = cov // 2 + dropped, len(t_alt) - 1
            pcs = np.concatenate([np.arange(start - 4, start + 1), [f"+{j}" for j in range(1, k + 1)],
                                  np.arange(start + 1, start + 6)])
            yr = np.concatenate([y_ref[a - 4:a + 1], np.zeros((k, 3)), y_ref[a + 1:a + 6]])
            ya = raw_alt[a - 4:a + 6 + k]
            wa = wid // 2 + dropped
            rs = window[wa - 4:wa + 1] + " " * k + window[wa + 1:wa + 6]
            as_ = window[wa - 4:wa + 1] + t_alt[1:] + window[wa + 1:wa + 6]
            inserted = [{"chrom": "chr16", "pos": str(p), "ref": r, "alt": b, "RA": f3(yr[j, 1]),
                         "RD": f3(yr[j, 2]), "AA": f3(ya[j, 1]), "AD": f3(ya[j, 2])}
                        for j, (p, r, b) in enumerate(zip(pcs, rs, as_))]
        entry = {"DS_AG": f3(ds[0]), "DS_AL": f3(ds[1]), "DS_DG": f3(ds[2]), "DS_DL": f3(ds[3]),
                 **{f"DP_{k}": d for k, d in zip(("AG", "AL", "DG", "DL"), dp)},
                 **{f"DS_{k}_REF": f3(y[0][i, c]) for k, i, c in
                    zip(("AG", "AL", "DG", "DL"), idx, (1, 1, 2, 2))},
                 **{f"DS_{k}_ALT": f3(y[1][i, c]) for k, i, c in
                    zip(("AG", "AL", "DG", "DL"), idx, (1, 1, 2, 2))},
                 "SCORES_FOR_INSERTED_BASES": inserted}
        annotation = {k: v for k, v in transcripts[g["t_id"]].items() if k != "basic"}
        entry.update(annotation)
        # the lookup counts, and its top-level rows keep, the rows whose printed score reaches 0.01
        shown = [r for r in rows if max(float(r[k]) for k in ("RA", "AA", "RD", "AD")) >= 0.01]
        entry["nNonZeroScores"] = len(shown)
        scores.append(entry)
        chosen.append((shown, g["strand"]))
    # highest priority, then the largest sum of |DS| as printed; the first on a tie
    order = {"MS": 3, "MP": 2, "C": 1, "N": 0}
    best, best_p, best_sum = None, -1, -1.0
    for i, s in enumerate(scores):
        total = sum(abs(float(s[f"DS_{k}"])) for k in ("AG", "AL", "DG", "DL"))
        if order[s["t_priority"]] > best_p or (order[s["t_priority"]] == best_p
                                                and total > best_sum):
            best, best_p, best_sum = i, order[s["t_priority"]], total
    echo = {"variant": text, "hg": hg, **({"bc": bc} if bc else {}), "distance": str(distance),
            "mask": str(mask)}
    echo.update({"variant": text, "genomeVersion": hg, "chrom": chrom[3:], "pos": pos,
                 "ref": ref, "alt": alt, "distance": distance, "mask": mask, "scores": scores,
                 "source": "spliceai:model", "allNonZeroScores": chosen[best][0],
                 "allNonZeroScoresStrand": chosen[best][1],
                 "allNonZeroScoresTranscriptId": scores[best]["t_id"],
                 "sai10kPredictions": None, "sai10kPredictionsError": None})
    return echo


# ---- fixtures ------------------------------------------------------------------------------------



@pytest.fixture(scope="module")
def gtf(tmp_path_factory):
    import os

    folder = tmp_path_factory.mktemp("gtf")
    old = os.environ.get("SPLICEANNOT_CACHE_DIR")
    os.environ["SPLICEANNOT_CACHE_DIR"] = str(folder / "cache")
    yield write_gtf(folder / "tagged.gtf")
    if old is None:
        os.environ.pop("SPLICEANNOT_CACHE_DIR", None)
    else:
        os.environ["SPLICEANNOT_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def service(tiny, gtf):
    return Service(str(CHR16_FASTA), str(gtf), tiny, distance=D, max_batch=20, max_region=5000,
                   gene_set="comprehensive")


@pytest.fixture(scope="module")
def basic_server(tiny, gtf):
    s = Server(create_app(Service(str(CHR16_FASTA), str(gtf), tiny, distance=D)))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def server(service):
    s = Server(create_app(service, max_body=64_000))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def reference_genes(service, gtf):
    """The test's own reading of the GTF: every transcript, in the annotation's order."""
    structure = gtf_structure(gtf)
    genes = []
    for g in service.genes.genes:  # the order only; coordinates come from the GTF read here
        t = structure[g.transcript]
        genes.append({"t_id": g.transcript, "strand": t["t_strand"],
                      "tx_start": t["EXON_STARTS"][0], "tx_end": max(t["EXON_ENDS"]),
                      "starts": t["EXON_STARTS"], "ends": t["EXON_ENDS"], "basic": t["basic"]})
    return structure, genes


# ---- the answer, field by field ------------------------------------------------------------------

@pytest.mark.parametrize("mask", [0, 1])
def test_answer_equals_the_lookups(server, service, reference_genes, mask):
    structure, genes = reference_genes
    inserted_seen = 0
    for v in VARIANTS:
        status, got = server.get("/spliceai/", hg=38, distance=D, mask=mask, variant=v,
                                 bc="comprehensive")
        assert status == 200, got
        want = lookup_answer(v, service.model, structure, genes, D, mask, bc="comprehensive")
        assert set(got) == set(want), v
        for key in want:
            if key != "scores":
                assert got[key] == want[key], (v, key)
        assert len(got["scores"]) == len(want["scores"]) >= 1
        for g, w in zip(got["scores"], want["scores"]):
            assert list(g) == list(w), v  # the same fields in the same order
            for key in w:
                assert g[key] == w[key], (v, g["t_id"], key)
            inserted_seen += bool(w["SCORES_FOR_INSERTED_BASES"])
        assert "ALLELE" not in got["scores"][0] and "NAME" not in got["scores"][0]
    assert inserted_seen  # the insertion case was exercised


def test_transcript_choice_and_bc(server, basic_server, service):
    v = VARIANTS[0]  # in NM_018032 (MANE Select, basic) and NM_201412 (canonical, not basic)
    _, full = server.get("/spliceai/", hg=38, distance=D, variant=v, bc="comprehensive")
    assert [s["t_id"] for s in full["scores"]] == ["NM_018032", "NM_201412"]
    assert [s["t_priority"] for s in full["scores"]] == ["MS", "C"]
    assert full["allNonZeroScoresTranscriptId"] == "NM_018032"
    assert {s["g_name"] for s in full["scores"]} == {"GENEONE"}  # the gene, not the transcript
    assert full["scores"][0]["CDS_START"] < full["scores"][0]["CDS_END"]
    _, basic = basic_server.get("/spliceai/", hg=38, distance=D, variant=v)  # bc: basic
    assert [s["t_id"] for s in basic["scores"]] == ["NM_018032"] and "bc" not in basic
    # one gene set per instance, as the lookup's services: the other is refused with its 400
    status, got = basic_server.get("/spliceai/", hg=38, distance=D, variant=v, bc="comprehensive")
    assert status == 400 and got["source"] == "spliceai" and '"basic" gene set' in got["error"]
    status, got = server.get("/spliceai/", hg=38, distance=D, variant=v, bc="basic")
    assert status == 400 and '"comprehensive" gene set' in got["error"]
    # equal priority ("N"): the larger |DS| sum wins, the first on a tie
    _, two = server.get("/spliceai/", hg=38, distance=D, variant=VARIANTS[4])
    sums = [sum(abs(float(s[f"DS_{k}"])) for k in ("AG", "AL", "DG", "DL")) for s in two["scores"]]
    assert len(sums) == 2
    assert two["allNonZeroScoresTranscriptId"] == two["scores"][int(sums[1] > sums[0])]["t_id"]


def test_lookup_spellings_defaults_and_echo(server):
    v = VARIANTS[1]
    chrom, pos, ref, alt = v.split("-")
    _, a = server.get("/spliceai/", hg=38, distance=D, variant=v)
    _, b = server.get("/spliceai/", hg=38, variant=f"{chrom}:{pos} {ref}>{alt}", distance=D)
    assert a["scores"] == b["scores"] and b["chrom"] == "16"
    status, c = server.get("/spliceai/", hg=38, variant=f" {v},")  # server default D; stripped
    assert status == 200 and c["distance"] == D and c["variant"] == v and "mask" in c
    status, d = server.post("/spliceai/", {"variant": v, "hg": "38", "distance": D, "raw": "x",
                                           "variant_consequence": "intron"})
    assert status == 200 and d["scores"] == a["scores"]
    assert d["raw"] == "x" and d["variant_consequence"] == "intron"


def test_refusals_answered_as_the_lookup(server):
    ref = U[2099]
    status, got = server.get("/spliceai/", hg=38, variant=f"chr16-2100-{other(ref)}-A")
    assert status == 200 and got["source"] == "spliceai" and got["variant"].startswith("chr16-2100")
    assert f"is {ref.upper()}, not {other(ref)}" in got["error"] and "hg38" in got["error"]
    status, got = server.get("/spliceai/", hg=38, distance=7, variant="chr16-12-Q-A")
    assert status == 400 and got["error"].startswith('Unable to parse "variant": "chr16-12-Q-A"')
    assert got["source"] == "spliceai"
    alt = other(U[44999])
    status, got = server.get("/spliceai/", hg=38, variant=f"chr16-45000-{U[44999]}-{alt}")
    assert status == 200 and "did not return any scores" in got["error"]
    status, got = server.get("/spliceai/", variant=VARIANTS[0])
    assert status == 400 and got["error"].startswith('"hg" not specified')
    assert got["source"] == "spliceai"


def test_batch_is_one_pipeline_call(server, service, monkeypatch):
    calls = []
    run = service.scorer.run

    def counting(tasks, ctx):
        calls.append(len(tasks))
        return run(tasks, ctx)

    monkeypatch.setattr(service.scorer, "run", counting)
    service.cache.clear()
    status, got = server.post("/spliceai/batch", {"variants": VARIANTS[:6] + ["nonsense"],
                                                  "distance": 40, "hg": "38"})
    assert status == 200
    assert len(calls) == 1 and calls[0] >= 6  # every variant's tasks in one scorer run
    results = got["results"]
    assert len(results) == 7 and results[6]["error"].startswith('Unable to parse "variant"')
    service.cache.clear()
    for v, r in zip(VARIANTS[:6], results):
        _, single = server.get("/spliceai/", hg=38, distance=40, variant=v)
        assert r == single and r["variant"] == v
    status, got = server.post("/spliceai/batch", {"variants": VARIANTS[:1] * 21, "hg": "38"})
    assert status == 400 and "too many variants" in got["error"]


def test_answer_cache_is_bounded_by_bytes(server, service):
    cache = AnswerCache(100)
    cache.put("a", "x" * 60)
    cache.put("b", "y" * 30)
    assert cache.get("a") and cache.size == 90
    cache.put("c", "z" * 30)  # "b" is the least recently used now
    assert cache.get("b") is None and cache.size == 90
    cache.put("huge", "w" * 101)  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.size == 90
    service.cache.clear()
    _, first = server.get("/spliceai/", hg=38, distance=D, variant=VARIANTS[2])
    _, again = server.get("/spliceai/", hg=38, distance=D, variant=VARIANTS[2])
    assert first["source"] == "spliceai:model" and again["source"] == "spliceai:model:cache"
    assert first["scores"] == again["scores"] and 0 < service.cache.size <= service.cache.limit


def test_work_and_deadline_limits(server, service):
    old = service.max_work
    service.max_work = 2 * 30
    try:
        status, got = server.get("/spliceai/", hg=38, distance=30, variant=VARIANTS[3])
        assert status == 400 and "too much work" in got["error"]
    finally:
        service.max_work = old
    old = service.deadline
    service.deadline = 0.5
    service.lock.acquire()
    try:
        status, body, headers = server.request("/spliceai/?hg=38&distance=31&variant=" + VARIANTS[3])
        assert status == 503 and "deadline" in json.loads(body)["error"]
        assert headers["access-control-allow-origin"] == "*"
    finally:
        service.lock.release()
        service.deadline = old


def test_concurrent_requests_equal_serial(server, service):
    params = [dict(hg=38, distance=d, mask=m, variant=v) for v in VARIANTS[:6] for d, m in
              ((D, 0), (30, 1))]
    service.cache.clear()  # make the parallel round compute, not read the cache
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda p: server.get("/spliceai/", **p), params))
    serial = [server.get("/spliceai/", **p) for p in params]
    for (s1, a), (s2, b), p in zip(parallel, serial, params):
        assert s1 == s2 == 200
        a.pop("source"), b.pop("source")
        assert a == b, p


# ---- CORS and refusals ---------------------------------------------------------------------------

def test_cors_everywhere(server):
    for path, data in (("/spliceai/?hg=38&variant=" + VARIANTS[0], None),
                       ("/spliceai/?variant=" + VARIANTS[0], None),  # 400: no hg
                       ("/spliceai/batch", json.dumps({"variants": [], "hg": "38"}).encode()),
                       ("/spliceai/batch", b"{not json"), ("/nowhere", None)):
        status, _, headers = server.request(path, data, {"Content-Type": "application/json"})
        assert headers["access-control-allow-origin"] == "*", (path, status)
    status, _, headers = server.request("/spliceai/", method="OPTIONS", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type"


BAD = [
    ("/spliceai/", dict(hg=38), 400, '"variant" not specified'),
    ("/spliceai/", dict(hg=37, variant=VARIANTS[0]), 400, "serves hg38"),
    ("/spliceai/", dict(hg=19, variant=VARIANTS[0]), 400, 'Invalid "hg" value'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance="x"), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance="12.7"), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance="inf"), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance=-1), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], distance=20000), 400, '"distance"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], mask=2), 400, '"mask"'),
    ("/spliceai/", dict(hg=38, variant=VARIANTS[0], bc="all"), 400, '"bc"'),
    ("/predict/", dict(region="chrZ:1-10"), 400, "contig not in the FASTA"),
    ("/predict/", dict(region="chr16:,-,"), 400, "region"),
    ("/predict/", dict(region="chr16:5-1"), 400, "START <= END"),
    ("/predict/", dict(region="chr16:999999-1000000"), 400, "past the contig end"),
    ("/predict/", dict(region="chr16:1-6000"), 400, "6000 positions > 5000"),
    ("/predict/", dict(), 400, '"region" not specified'),
    ("/plot/", dict(variant=VARIANTS[0], transcript="NOPE"), 400, "not scored"),
    ("/plot/", dict(variant=VARIANTS[0], distance="1e3"), 400, '"distance"'),
    ("/nowhere", dict(), 404, "no endpoint"),
]


@pytest.mark.parametrize("path, params, status, message", BAD)
def test_bad_input_gets_a_4xx_line(server, path, params, status, message):
    got_status, got = server.get(path, **params)
    assert got_status == status
    assert message in got["error"] and "\n" not in got["error"] and "Traceback" not in got["error"]


NESTED = b"[" * 30_000 + b"]" * 30_000  # under the 64000-byte limit, too deep to parse


@pytest.mark.parametrize("path, raw, status, message", [
    ("/spliceai/batch", b"{not json", 400, "not valid JSON"),
    ("/spliceai/batch", b"[1, 2]", 400, "must be a JSON object"),
    ("/spliceai/batch", NESTED, 400, "nested too deeply"),
    ("/spliceai/", NESTED, 400, "nested too deeply"),
    ("/spliceai/batch", b'{"variants": "chr16-1-A-G", "hg": "38"}', 400, "list of strings"),
    ("/spliceai/batch", b'{"variants": [1], "hg": "38"}', 400, "list of strings"),
    ("/spliceai/batch", b'{"hg": "38"}', 400, '"variants" not specified'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "distance": Infinity}', 400, '"distance"'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "distance": NaN}', 400, '"distance"'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "distance": 12.7}', 400, '"distance"'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "distance": 1e400}', 400, '"distance"'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "distance": true}', 400, '"distance"'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "mask": [1]}', 400, '"mask"'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "mask": 1.0}', 400, '"mask"'),
    ("/spliceai/batch", b'{"variants": [], "hg": {"a": 1}}', 400, '"hg"'),
    ("/spliceai/batch", b'{"variants": [], "hg": "38", "bc": ["basic"]}', 400, '"bc"'),
    ("/spliceai/batch", json.dumps({"variants": ["x" * 70_000]}).encode(), 413, "over 64000 bytes"),
    ("/spliceai/", b'{"variant": 1, "hg": "38"}', 400, '"variant" value must be a string'),
    ("/spliceai/", b'{"variant": ["chr16-1-A-G"], "hg": "38"}', 400, "must be a string"),
    ("/spliceai/", b'{"variant": "chr16-3173-C-G", "hg": "38", "distance": Infinity}', 400,
     '"distance"'),
    ("/spliceai/", b"{not json", 400, "not valid JSON"),
    ("/spliceai/", b"\xff\xfe", 400, "not valid JSON"),
    ("/spliceai/", json.dumps({"variant": "x" * 70_000}).encode(), 413, "over 64000 bytes"),
])
def test_bad_post_bodies(server, path, raw, status, message):
    got_status, got = server.post(path, None, raw=raw)
    assert got_status == status and message in got["error"], got


# ---- the other routes ----------------------------------------------------------------------------

def test_route_table_by_family(service):
    """A second family is one more entry of the table (the same service here)."""
    both = Server(create_app({"spliceai": service, "other": service}))
    try:
        _, a = both.get("/other/", hg=38, variant=VARIANTS[1], distance=D)
        _, b = both.get("/spliceai/", hg=38, variant=VARIANTS[1], distance=D)
        status, c = both.post("/other/batch", {"variants": [VARIANTS[1]], "hg": "38",
                                               "distance": D})
    finally:
        both.stop()
    a.pop("source"), b.pop("source"), c["results"][0].pop("source")
    assert a == b == c["results"][0] and a["scores"] and status == 200


def test_region_equals_predict(server, service):
    status, got = server.get("/predict/", region="chr16:100200-100520")
    assert status == 200 and (got["start"], got["end"]) == (100200, 100520)
    chunks = list(predict_chunks([("chr16", 100200, 100520)], service.reference, service.model,
                                 service.genes))
    want = {run.gene: probs for c in chunks for run, probs in c.runs}
    assert {t["gene"] for t in got["tracks"]} == set(want)
    assert {"SYM_NM_006849/NM_006849", "SYM_NM_003502/NM_003502"} <= set(want)
    for t in got["tracks"]:
        assert np.array_equal(np.float32(t["acceptor"]), want[t["gene"]][:, 0])
        assert np.array_equal(np.float32(t["donor"]), want[t["gene"]][:, 1])


def test_plot_is_svg(server):
    status, body = server.get("/plot/", variant=VARIANTS[1], distance=D)
    assert status == 200 and body.lstrip().startswith(b"<?xml") and b"<svg" in body
    assert b"SYM_NM_" in body or b"GENEONE" in body


def test_placeholder_and_page(server, service):
    status, got = server.get("/spliceai/", hg=38, variant=service.placeholder)
    assert status == 200 and got["scores"], got  # the placeholder scores on the loaded data
    status, body, headers = server.request("/")
    text = body.decode()
    assert status == 200 and "text/html" in headers["content-type"]
    assert f'placeholder="{service.placeholder}"' in text
    assert 'id="variant"' in text and "http://" not in text and "https://" not in text


def _chromium():
    import shutil

    for browser in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(browser)
        if path:
            return path, shutil.which("chromedriver")
    return None, None


def test_page_in_a_headless_browser(basic_server, service):
    """Debian's chromium through selenium: a link with ?variant=... scores on load; a typed bad
    variant shows the server's reason. Skips without chromium and chromedriver (apt-get install
    chromium chromium-driver) or selenium."""
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
        v = VARIANTS[0]
        driver.get(basic_server.base + "/?" + urllib.parse.urlencode(
            {"variant": v, "hg": "38", "distance": 40, "mask": 1}))
        wait = WebDriverWait(driver, 120)
        table = wait.until(ec.presence_of_element_located((By.ID, "scores")))
        rows = table.find_elements(By.TAG_NAME, "tr")[1:]
        assert [r.get_attribute("data-transcript") for r in rows] == ["NM_018032"]
        _, expected = basic_server.get("/spliceai/", hg=38, variant=v, distance=40, mask=1)
        s = expected["scores"][0]
        cells = rows[0].find_elements(By.TAG_NAME, "td")
        assert cells[1].text == "GENEONE" and cells[4].text == f"{s['DS_AG']} ({s['DP_AG']})"
        wait.until(lambda d: d.execute_script(
            "const i = document.getElementById('plot');"
            "return i.complete && i.naturalWidth > 0 && i.style.display === 'block';"))
        assert driver.find_element(By.ID, "distance").get_attribute("value") == "40"
        box = driver.find_element(By.ID, "variant")
        assert box.get_attribute("placeholder") == service.placeholder
        box.clear()
        box.send_keys("chr16-12-Q-A")
        driver.find_element(By.ID, "go").click()
        wait.until(lambda d: "Unable to parse" in d.find_element(By.ID, "error").text)
        assert not driver.find_elements(By.ID, "scores")
    finally:
        driver.quit()


def test_cli_serve_subprocess(tmp_path):
    """The command the README shows, on a free port: answers, then stops on SIGTERM."""
    import os
    import subprocess
    import sys

    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(DATA.parent.parent))
    proc = subprocess.Popen(
        [sys.executable, "-m", "spliceannot", "serve", "-R", str(CHR16_FASTA), "-A",
         str(CHR16_TABLE), "--model", "tiny-dir", "--plugins-dir", str(DATA / "plugins"),
         "-D", "50", "--port", str(port), "--cache-mb", "1", "-q"], env=env,
        stderr=subprocess.PIPE)
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
        assert body["distance"] == 50 and body["scores"][0]["t_id"] == "NM_018032"
        assert body["scores"][0]["t_priority"] == "N" and body["scores"][0]["CDS_START"] is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_serve_refuses_up_front(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--hg", "19"])
    assert exc.value.code == 2 and "--hg must be 37 or 38" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["serve", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--device", "tpu"])
    assert exc.value.code == 2 and "--device 'tpu'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["serve", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--gene-set", "all"])
    assert exc.value.code == 2 and "--gene-set must be basic or comprehensive" in \
        capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # two models of one family: one route each
        main(["serve", "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--plugins-dir",
              str(DATA / "plugins"), "--model", "tiny-dir", "--model", "tiny-dir"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "one model per route" in err and "Traceback" not in err


def test_distance_parameter_is_never_truncated():
    from spliceannot.serve.service import BadRequest, integer

    assert integer("distance", "7", 0, 10) == 7 and integer("distance", 7, 0, 10) == 7
    for value in ("12.7", 12.7, math.inf, "1e3", True, None, [5], "", "0x10"):
        with pytest.raises(BadRequest):
            integer("distance", value, 0, 10_000)
