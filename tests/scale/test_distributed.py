"""``--engine ray``: region shards on a local 2-CPU Ray instance, merged byte-identical to local."""

import json
import os

import pytest

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, GOLDEN
from support.serving import free_port

pytest.importorskip("ray", reason="needs Ray: pip install 'spliceannot[ray]'")

from spliceannot.scale import distributed  # noqa: E402
from spliceannot.plugins import load_plugins_dir  # noqa: E402
from spliceannot.pipeline import Options, score_file  # noqa: E402

PLUGINS = DATA / "plugins"


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    """The first 40 golden chr16 records and the local engine's output for them (tiny model)."""
    load_plugins_dir(PLUGINS)
    root = tmp_path_factory.mktemp("ray")
    lines = open(GOLDEN / "chr16_variants.vcf").read().splitlines(keepends=True)
    body = [line for line in lines if not line.startswith("#")][:40]
    vcf = root / "in.vcf"
    vcf.write_text("".join([line for line in lines if line.startswith("#")] + body))
    local = root / "local.vcf"
    score_file(str(vcf), str(local), _opts())
    return vcf, local.read_bytes()


@pytest.fixture(autouse=True)
def _no_ray_left():
    yield
    import ray

    ray.shutdown()


def _opts():
    return Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model="tiny-dir",
                   progress=False)


def _score(vcf, out, **kwargs):
    return distributed.score_distributed(str(vcf), str(out), _opts(), plugins_dirs=[PLUGINS],
                                         **kwargs)


def test_ray_output_is_byte_identical_to_local(workload, tmp_path):
    vcf, local = workload
    out = tmp_path / "ray.vcf"
    summary = _score(vcf, out, shards=3)
    assert out.read_bytes() == local
    assert summary.records_in == summary.records_out == 40
    assert not (tmp_path / "ray.vcf.shards").exists()  # work directory removed after the merge


def test_killed_worker_is_retried_and_output_complete(workload, tmp_path, monkeypatch):
    vcf, local = workload
    markers = tmp_path / "markers"
    markers.mkdir()
    # Shard 1's worker process exits (os._exit) on its first attempt, as a killed worker would.
    monkeypatch.setenv(distributed.FAULT_SHARDS_ENV, "1")
    monkeypatch.setenv(distributed.FAULT_MARKERS_ENV, str(markers))
    out = tmp_path / "ray.vcf"
    summary = _score(vcf, out, shards=3, retries=2)
    assert (markers / "died-1").exists()  # the worker did die
    assert out.read_bytes() == local
    assert summary.records_out == 40


def test_rerun_after_crash_skips_finished_shards(workload, tmp_path, monkeypatch):
    vcf, local = workload
    out = tmp_path / "ray.vcf"
    work = tmp_path / "ray.vcf.shards"
    # First run: shard 1 dies on every attempt, so the run fails with the others finished.
    monkeypatch.setenv(distributed.FAULT_SHARDS_ENV, "1")
    with pytest.raises(distributed.ShardFailed, match="rerun the same command"):
        _score(vcf, out, shards=3, retries=1, keep_work=True)
    assert not out.exists()
    manifest = json.loads((work / distributed.MANIFEST).read_text())
    states = [s["status"] for s in manifest["shards"]]
    assert states == ["done", "failed", "done"]
    stamps = {s["index"]: (s["finished"], os.stat(work / s["part"]).st_mtime_ns)
              for s in manifest["shards"] if s["status"] == "done"}

    monkeypatch.delenv(distributed.FAULT_SHARDS_ENV)
    summary = _score(vcf, out, shards=3, keep_work=True)
    assert summary.shards_skipped == [0, 2]
    manifest = json.loads((work / distributed.MANIFEST).read_text())
    for s in manifest["shards"]:
        assert s["status"] == "done"
        if s["index"] in stamps:  # reused as they were: neither rescored nor rewritten
            assert (s["finished"], os.stat(work / s["part"]).st_mtime_ns) == stamps[s["index"]]
    assert out.read_bytes() == local
    assert summary.records_out == 40


def test_split_keeps_input_order_in_contiguous_region_shards(workload, tmp_path):
    vcf, _ = workload
    shards = distributed.split(str(vcf), str(tmp_path), 3)
    assert [s["records"] for s in shards] == [13, 14, 13]
    assert [s["first"] for s in shards] == [0, 13, 27]
    bodies = [[line for line in open(tmp_path / s["input"]) if not line.startswith("#")]
              for s in shards]
    original = [line for line in open(vcf) if not line.startswith("#")]
    assert sum(bodies, []) == original
    assert shards[0]["region"].startswith("chr16:2100-chr16:")


def test_ray_refuses_outputs_it_cannot_merge_identically(workload, tmp_path):
    vcf, _ = workload
    from spliceannot.errors import UsageError

    for name in ("out.tsv.gz", "out.bcf", "out.jsonl.gz"):
        with pytest.raises(UsageError, match="bgzip"):
            _score(vcf, tmp_path / name, shards=2)


def test_ray_vcf_gz_output_holds_the_local_lines(workload, tmp_path):
    """``.vcf.gz``: the parts' lines streamed into one BGZF file, the local output's lines."""
    import gzip

    vcf, local = workload
    out = tmp_path / "ray.vcf.gz"
    _score(vcf, out, shards=3)
    assert out.read_bytes()[:4] == b"\x1f\x8b\x08\x04"  # BGZF: gzip with the extra field
    assert gzip.decompress(out.read_bytes()) == local


class _Manifest:
    def __init__(self, root, parts):
        self.root, self.shards = root, [{"part": p} for p in parts]

    def path(self, name):
        return str(self.root / name)


def test_vep_merge_is_a_stable_streaming_kway_merge(tmp_path, monkeypatch):
    """Sorted parts merge by (contig rank from the header, pos), ties in shard order, without
    reading any part whole and without sorting the output in memory."""
    import gzip
    import random

    import pysam

    header = ["##fileformat=VCFv4.2\n", "##contig=<ID=chr2,length=9>\n",
              "##contig=<ID=chr1,length=9>\n", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"]
    rng = random.Random(5)
    parts, everything = [], []
    for k in range(4):
        body = sorted(((c, rng.randint(1, 30), f"s{k}n{i}") for i, c in
                       enumerate(rng.choice(["chr2", "chr1"]) for _ in range(60))),
                      key=lambda t: ({"chr2": 0, "chr1": 1}[t[0]], t[1]))
        lines = [f"{c}\t{p}\t{n}\tA\tC\t.\t.\tSpliceAI=C|G|0|0|0|0|0|0|0|0\n"
                 for c, p, n in body]
        everything += lines
        name = f"part-{k}.vep.vcf.gz"
        with pysam.BGZFile(str(tmp_path / name), "w") as handle:
            handle.write("".join(header + lines).encode())
        parts.append(name)
    read_whole = []
    real_open = gzip.open

    def spy_open(*args, **kw):
        handle = real_open(*args, **kw)
        handle.read = lambda *a: read_whole.append(a) or ""  # a whole-file read would show up
        return handle

    monkeypatch.setattr(gzip, "open", spy_open)
    out = tmp_path / "merged.vep.vcf.gz"
    from spliceannot import registry

    distributed.merge(_Manifest(tmp_path, parts), registry.writers().get("vep"), str(out))
    monkeypatch.undo()
    want = sorted(everything, key=lambda l: ({"chr2": 0, "chr1": 1}[l.split("\t")[0]],
                                             int(l.split("\t")[1])))  # stable: shard order
    assert gzip.decompress(out.read_bytes()).decode() == "".join(header + want)
    assert read_whole == []
    with pysam.TabixFile(str(out)) as tbx:  # indexed, and the index finds every line
        assert len(list(tbx.fetch("chr1"))) == sum(l.startswith("chr1") for l in want)


def test_missing_ray_gives_the_install_hint(monkeypatch):
    import sys

    from spliceannot.errors import MissingDependency

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependency, match=r"spliceannot\[ray\]"):
        distributed.import_ray()


def test_cli_checks_engine_options():
    from typer.testing import CliRunner

    from spliceannot.cli import build_app

    runner = CliRunner()
    base = ["score", "x.vcf", "-R", "r.fa", "-A", "a.txt"]
    result = runner.invoke(build_app(), base + ["--engine", "spark"])
    assert "--engine must be local or ray" in str(result.exception)
    result = runner.invoke(build_app(), base + ["--address", "ray://h:10001"])
    assert "--address needs --engine ray" in str(result.exception)
    result = runner.invoke(build_app(), ["precompute", "--help"])
    assert result.exit_code == 0 and "--kinds" in result.output


def _ours(marker):
    """PIDs of processes whose command line names ``marker`` (the cluster's own temp dir)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def test_two_node_cluster_by_address(workload, tmp_path):
    """``--address``: a head and a second node started with ``ray start`` on loopback (1 CPU
    each, one random token), ``spliceannot score --engine ray --address`` run against them, the
    records equal to the local engine's; both nodes and everything they spawned are stopped
    afterwards (by process group, then by their temp dir)."""
    import shutil
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    vcf, local = workload
    exe = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    port = free_port()
    address = f"127.0.0.1:{port}"
    temp = tempfile.mkdtemp(prefix="sa-ray-", dir="/tmp")  # short: Ray's socket paths
    # Every process of this test (nodes, probe, CLI driver, its workers) gets the same token, so
    # whatever the installed Ray's default authentication, they agree and nothing else joins.
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token",
               RAY_AUTH_TOKEN=os.urandom(16).hex())
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--object-store-memory=100000000",
              "--disable-usage-stats", "--block"]
    quiet = dict(env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
    probe = [sys.executable, "-c", "import sys, ray; ray.init(address=sys.argv[1], "
             "logging_level='ERROR', log_to_driver=False); "
             "print(sum(1 for n in ray.nodes() if n['Alive']))", address]
    nodes = []
    try:
        nodes.append(subprocess.Popen([exe, "start", "--head", f"--port={port}",
                                       "--include-dashboard=false", f"--temp-dir={temp}",
                                       *common], **quiet))
        nodes.append(subprocess.Popen([exe, "start", f"--address={address}", *common], **quiet))
        alive = ""
        for _ in range(60):  # both nodes registered (minutes on a loaded machine)
            time.sleep(2)
            try:
                alive = subprocess.run(probe, env=env, capture_output=True, text=True,
                                       timeout=120).stdout.strip()
            except subprocess.TimeoutExpired:
                alive = ""
            if alive == "2":
                break
        assert alive == "2", "the two-node cluster did not come up"
        out = tmp_path / "cluster.vcf"
        run = subprocess.run(
            [sys.executable, "-m", "spliceannot", "score", str(vcf), "-o", str(out), "-R",
             str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--model", "tiny-dir", "--plugins-dir",
             str(PLUGINS), "--engine", "ray", "--address", address, "--shards", "3", "-q"],
            env=env, capture_output=True, text=True, timeout=1200)
        assert run.returncode == 0, run.stderr[-3000:]

        def body(text):
            return [line for line in text.splitlines() if not line.startswith("#")]

        assert body(out.read_text()) == body(local.decode()) and len(body(local.decode())) == 40
    finally:
        for node in nodes:
            try:
                os.killpg(node.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for node in nodes:
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
        for pid in _ours(temp):  # anything of this cluster that left its process group
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(temp, ignore_errors=True)


def test_parts_are_not_reused_when_the_fasta_changes_under_its_name(workload, tmp_path):
    """The rerun fingerprint holds the inputs' content digests, not only their paths."""
    import shutil

    from spliceannot.session import Session

    vcf, _ = workload
    fasta = tmp_path / "ref.fa"
    shutil.copyfile(CHR16_FASTA, fasta)
    opts = _opts().replace(reference=str(fasta))

    def fingerprint():
        with Session.open(opts, str(tmp_path / "o.vcf")) as run:
            contents = {k: run.run_info.get(k) for k in distributed.CONTENT}
        return distributed._fingerprint(str(vcf), opts, 2, "vcf", contents)

    first = fingerprint()
    assert fingerprint() == first
    text = fasta.read_text()
    at = text.index("\n", 1000) + 1  # a base of a later line, same length
    fasta.write_text(text[:at] + ("A" if text[at] != "A" else "C") + text[at + 1:])
    assert fingerprint() != first
