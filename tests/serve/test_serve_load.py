"""serve under load: deadlines stop work at a chunk boundary and free the model, the model goes
to waiting requests in turn, work counts inserted bases, per-setting state stays bounded."""

import gc
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="spliceannot[serve] (FastAPI) is not installed")
pytest.importorskip("uvicorn", reason="spliceannot[serve] (uvicorn) is not installed")

from support.serving import Server  # noqa: E402
from support.paths import CHR16_FASTA, CHR16_TABLE, DATA  # noqa: E402
from spliceannot import registry  # noqa: E402
from spliceannot.plugins import get_plugin_manager, load_plugins_dir  # noqa: E402
from spliceannot.scorer import ScoringContext  # noqa: E402
from spliceannot.serve import limits  # noqa: E402
from spliceannot.serve.app import create_app  # noqa: E402
from spliceannot.serve.service import Service  # noqa: E402

U = "".join(line.strip() for line in open(CHR16_FASTA).readlines()[1:]).upper()
SNVS = [f"chr16-{p}-{U[p - 1]}-{'A' if U[p - 1] != 'A' else 'C'}" for p in range(3100, 3130)]




@pytest.fixture
def slow(tiny, monkeypatch):
    """A service whose every chunk takes 0.3 s, one variant a chunk, a 1.5 s deadline."""
    service = Service(str(CHR16_FASTA), str(CHR16_TABLE), tiny, distance=20)
    service.chunk_work = 1
    service.lookup({"hg": "38", "variant": SNVS[-1]})  # the engine built before any timing
    service.deadline = 1.5
    calls = []
    run = service.scorer.run

    def slow_run(tasks, ctx):
        calls.append(time.monotonic())
        time.sleep(0.3)
        return run(tasks, ctx)

    monkeypatch.setattr(service.scorer, "run", slow_run)
    server = Server(create_app(service))
    yield service, server, calls
    server.stop()


def test_past_the_deadline_the_work_stops_and_frees_the_model(slow):
    service, server, calls = slow
    started = time.monotonic()
    status, got = server.post("/spliceai/batch", {"variants": SNVS, "hg": "38"})
    assert status == 503 and "deadline" in got["error"]
    assert time.monotonic() - started < 4  # answered near the deadline, not after 30 chunks
    time.sleep(0.5)  # the chunk under way when the deadline passed finishes, then nothing more
    stopped = len(calls)
    assert 1 <= stopped < len(SNVS) // 2 and not service.lock.locked()
    time.sleep(0.7)
    assert len(calls) == stopped  # no work after the cancellation
    assert service.stats["cancelled"] == 1
    status, got = server.get("/spliceai/", hg=38, variant=SNVS[0])
    assert status == 200 and got["scores"]  # the model is free for the next request


def test_a_short_request_is_not_blocked_by_a_long_one(slow):
    """The model goes to waiting requests in arrival order, one chunk at a time: a short
    request sent while a long batch runs is answered long before the batch would end."""
    service, server, calls = slow
    service.deadline = 30
    long_done = []
    t = threading.Thread(target=lambda: long_done.append(
        server.post("/spliceai/batch", {"variants": SNVS[:24], "hg": "38"})[0]))
    t.start()
    time.sleep(0.5)
    started = time.monotonic()
    status, got = server.get("/spliceai/", hg=38, variant=SNVS[20])
    waited = time.monotonic() - started
    assert status == 200 and got["scores"] and not long_done
    assert waited < 3.0  # at most one of the batch's chunks ahead of it, not the ~20 left
    t.join(60)
    assert long_done == [200]


def test_fair_lock_grants_in_arrival_order_and_times_out():
    lock = limits.FairLock()
    assert lock.acquire()
    order = []

    def wait(i):
        if lock.acquire(timeout=5):
            order.append(i)
            time.sleep(0.02)
            lock.release()

    threads = []
    for i in range(5):
        threads.append(threading.Thread(target=wait, args=(i,)))
        threads[-1].start()
        time.sleep(0.05)  # arrival order 0..4
    assert lock.acquire(timeout=0.05) is False  # gives up, leaves the queue
    lock.release()
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2, 3, 4] and not lock.locked()


def test_work_counts_inserted_bases(tiny):
    """A 5,000-nt insertion is 5,000 more positions of work, so --max-work refuses it."""
    service = Service(str(CHR16_FASTA), str(CHR16_TABLE), tiny, distance=10, max_work=3000)
    base = U[3172]
    with pytest.raises(Exception) as exc:
        service.lookup({"hg": "38", "variant": f"chr16-3173-{base}-{base + 'ACGT' * 1250}"})
    assert getattr(exc.value, "status", None) == 400 and "too much work" in str(exc.value)
    assert "5021 positions" in str(exc.value)
    got = service.lookup({"hg": "38", "variant": f"chr16-3173-{base}-{base}ACGT"})
    assert got["scores"]
    from spliceannot.io.variant import Variant

    assert limits.work(Variant("chr16", 1, "A", ["A" * 5001]), 500) == 1001 + 5000
    assert limits.work(Variant("chr16", 1, "A" * 30, ["A"]), 500) == 1001 + 29
    assert limits.work(None, 500) == 1001  # a position-only query


def test_state_is_bounded_whatever_the_parameter_mix(tiny):
    """Each D/mask mix opens its own lookups and contexts; only the latest few are kept, so
    memory does not grow with the number of combinations asked for."""
    service = Service(str(CHR16_FASTA), str(CHR16_TABLE), tiny, distance=10,
                      cache_bytes=20_000)
    for d in range(1, 13):
        for mask in (0, 1):
            service.lookup({"hg": "38", "variant": SNVS[d], "distance": str(d),
                            "mask": str(mask)})
    assert len(service.lookups) <= limits.KEEP_SETTINGS
    assert service.cache.size <= 20_000
    gc.collect()
    # This service's: its session's own, the latest few mixes' (other services hold theirs).
    contexts = [o for o in gc.get_objects()
                if type(o) is ScoringContext and o.reference is service.reference]
    assert len(contexts) <= limits.KEEP_SETTINGS + 2


def test_bounded_closes_what_it_drops():
    dropped = []
    b = limits.Bounded(2, drop=dropped.append)
    for k in "abcab":
        b.get(k, lambda k=k: k.upper())
    assert len(b) == 2 and dropped == ["A", "B", "C"][:len(dropped)] and dropped
