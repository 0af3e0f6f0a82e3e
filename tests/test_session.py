"""``Session``: the one place a run is built, and the commands and clients that open one."""

import ast

import pytest
from typer.testing import CliRunner

from support.fakes import BaseCountModel, ExplodingModel, add_models
from support.cli import run_python
from support.paths import CHR16_FASTA, CHR16_TABLE, REPO
from spliceannot import options
from spliceannot.cli import build_app
from spliceannot.errors import UsageError
from spliceannot.io.variant import Variant
from spliceannot.session import Session

PACKAGE = REPO / "spliceannot"
# The clients of a run: the commands, serve, the API, the scale-out and track code.
CLIENTS = sorted([*PACKAGE.glob("cli/*.py"), *PACKAGE.glob("serve/*.py"),
                  *PACKAGE.glob("scale/*.py"), *PACKAGE.glob("tracks/*.py"),
                  PACKAGE / "api.py", PACKAGE / "pipeline.py", PACKAGE / "plot.py"])
EXON_START = Variant("chr16", 97424, "A", ["T"])  # first base of an NM_006849 exon


@pytest.fixture
def model():
    undo = add_models(BaseCountModel())
    yield BaseCountModel.name
    undo()


def _opts(**given):
    return options.Options(**{"reference": str(CHR16_FASTA), "annotation": str(CHR16_TABLE),
                              **given})


def _builds_a_run(tree) -> list:
    """Calls that construct a model, a scorer or lookups: registry.model(...),
    registry.scorers(...), registry.lookups(...), open_lookups(...)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                and f.value.id == "registry" and f.attr in ("model", "scorers", "lookups"):
            found.append(f"registry.{f.attr}(")
        elif isinstance(f, ast.Name) and f.id in ("open_lookups", "ScoringContext"):
            found.append(f"{f.id}(")
        elif isinstance(f, ast.Attribute) and f.attr in ("open_lookups", "ScoringContext"):
            found.append(f"{f.attr}(")
    return found


def test_only_the_session_builds_a_run():
    offenders = {str(p.relative_to(REPO)): _builds_a_run(ast.parse(p.read_text()))
                 for p in CLIENTS}
    assert {k: v for k, v in offenders.items() if v} == {}
    # The walk sees what it looks for: session.py itself builds all three.
    assert {"registry.model(", "registry.scorers(", "registry.lookups("} <= set(
        _builds_a_run(ast.parse((PACKAGE / "session.py").read_text())))
    assert len(CLIENTS) > 20


def test_session_scores_and_draws_through_its_scorer(model):
    with Session.open(_opts(model=model, distance=20), keep_tracks=True) as run:
        assert run.scorer.name == "fast" and run.run_info["scorer"] == "fast"
        assert run.run_info["distance"] == 20 and run.run_info["model"] == model
        (result,) = run.score([EXON_START])
        (data,) = run.tracks(EXON_START, "NM_006849")
    # The drawn tracks are the ones the entry's scores were taken from.
    assert result.entries[0].format() == data.score.format()
    assert len(data.positions) == 41 and data.positions[0] == 97424 - 20
    assert 97424 in data.boundaries and data.marks["AL"] == 97424 + data.score.dp[1]
    d = data.ref[:, 1] - data.alt_track[:, 1]
    assert data.score.ds[1] == pytest.approx(d.max(), abs=1e-6)
    with pytest.raises(UsageError, match="not scored for this variant"):
        run = Session.open(_opts(model=model, distance=20), keep_tracks=True)
        try:
            run.tracks(EXON_START, "NOPE")
        finally:
            run.close()


def test_session_refuses_what_the_run_cannot_take(model):
    with pytest.raises(UsageError, match="-M 1 needs annotated splice sites"):
        Session.open(options.Options(reference=str(CHR16_FASTA), annotation="both-strands",
                                     model=model, mask=True))
    with Session.open(options.Options(reference=str(CHR16_FASTA), annotation="both-strands",
                                      model=model)) as run:
        with pytest.raises(UsageError, match="-M 1 needs annotated splice sites"):
            run.score([EXON_START], options.Settings(mask=True))


def test_plot_and_serve_share_scores_checks(model, tmp_path):
    runner = CliRunner()
    base = ["-R", str(CHR16_FASTA), "--model", model]
    out = tmp_path / "v.svg"
    masked = runner.invoke(build_app(), ["plot", "chr16:97424:A:T", "-o", str(out), *base,
                                         "-A", "both-strands", "-M", "1"])
    assert isinstance(masked.exception, UsageError)  # main() turns it into exit 2, one line
    assert "-M 1 needs annotated splice sites" in str(masked.exception)
    assert not out.exists()
    pytest.importorskip("fastapi")
    from spliceannot.serve.service import BadRequest, Service

    service = Service(str(CHR16_FASTA), "both-strands", model, distance=20)
    with pytest.raises(BadRequest, match="-M 1 needs annotated splice sites"):
        service.lookup({"variant": "chr16-97424-A-T", "hg": "38", "mask": "1"})


def test_plot_writes_through_a_partial_and_keeps_window_semantics(model, tmp_path):
    out = tmp_path / "v.svg"
    result = CliRunner().invoke(build_app(), [
        "plot", "chr16:97424:A:T", "-o", str(out), "-R", str(CHR16_FASTA),
        "-A", str(CHR16_TABLE), "--model", model, "-D", "20"])
    assert result.exit_code == 0, result.output
    assert "<svg" in out.read_text() and sorted(p.name for p in tmp_path.iterdir()) == ["v.svg"]
    with Session.open(_opts(model=model, distance=20)) as run:
        (expected,) = run.score([EXON_START])
    assert result.stdout.split("\t")[1].strip() == expected.entries[0].format()


def test_summary_json_is_published_whole(model, tmp_path):
    import json

    vcf = REPO / "examples" / "chr16_demo.vcf"
    summary = tmp_path / "s.json"
    result = CliRunner().invoke(build_app(), [
        "score", str(vcf), "-o", str(tmp_path / "o.vcf"), "-R", str(CHR16_FASTA),
        "-A", str(CHR16_TABLE), "--model", model, "--summary-json", str(summary), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(summary.read_text())["records_in"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.vcf", "s.json"]


def test_settings_are_typed_and_frozen_without_the_registry():
    code = ("import sys; from spliceannot.delta import Settings; s = Settings(distance=50); "
            "assert s.distance == 50 and s.cov == 101 and s.mask is False; "
            "assert 'spliceannot.plugins' not in sys.modules and 'pluggy' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith('spliceannot'))\n"
            "try:\n    s.distance = 7\nexcept AttributeError:\n    pass\n"
            "else:\n    raise SystemExit('Settings can be changed')")
    done = run_python(code)
    assert done.returncode == 0, done.stderr


def test_ray_fingerprint_follows_the_declarations(tmp_path):
    from spliceannot.scale.distributed import _fingerprint

    vcf = tmp_path / "in.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n")
    same = _fingerprint(str(vcf), _opts(), 2, "vcf")
    # How and where the run runs (engine, distributed groups) does not change what is written.
    assert _fingerprint(str(vcf), _opts(threads=3, batch_size=2, workers=9), 2, "vcf") == same
    assert _fingerprint(str(vcf), _opts(distance=7), 2, "vcf") != same
    assert _fingerprint(str(vcf), _opts(raw=True), 2, "vcf") != same


def test_paths_follow_the_declared_roles(tmp_path):
    from spliceannot.session import check_paths

    with pytest.raises(UsageError, match="--rejects"):
        check_paths("in.vcf", [("-o", str(tmp_path / "o.vcf"))],
                    _opts(rejects=str(CHR16_FASTA)))
    with pytest.raises(UsageError, match="-R"):
        check_paths(None, [("-o", str(CHR16_FASTA))], _opts())
    check_paths(None, [("-o", str(tmp_path / "fine.vcf"))], _opts())


def test_predict_publishes_only_complete_outputs(model, tmp_path):
    out = tmp_path / "t.bedgraph"
    out.write_text("earlier run\n")
    args = ["predict", "chr16:97000-97100", "-R", str(CHR16_FASTA), "--model", model,
            "-o", str(out), "-o", str(tmp_path / "t.tsv")]
    ok = CliRunner().invoke(build_app(), args)
    assert ok.exit_code == 0, ok.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "t.tsv" in names and not any("partial" in n for n in names)
    assert (tmp_path / "t.acceptor_plus.bedgraph").exists()
    rows = (tmp_path / "t.tsv").read_text().splitlines()
    assert rows[0].startswith("CHROM\tPOS") and len(rows) == 1 + 2 * 101  # both strands
    assert {int(r.split("\t")[1]) for r in rows[1:]} == set(range(97000, 97101))
    assert out.read_text() == "earlier run\n"  # not among the files this -o writes
    # A run whose model fails midway publishes nothing and leaves no partial directory behind.
    undo = add_models(ExplodingModel())
    try:
        bad = CliRunner().invoke(build_app(), ["predict", "chr16:97000-97100", "-R",
                                               str(CHR16_FASTA), "--model", "exploding-test",
                                               "-o", str(tmp_path / "u.tsv"), "-o", str(out)])
    finally:
        undo()
    assert isinstance(bad.exception, AssertionError)  # raised by the model, after -o opened
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_settings_defaults_are_the_declared_ones():
    plain = options.Settings()
    for option in options.scoring():
        assert plain[option.name] == option.initial(), option.name
    built = options.Settings.of(_opts(distance=7, raw=True))
    assert built.distance == 7 and built.raw is True and built == built.replace()
    assert built.replace(keep_tracks=True).keep_tracks and not built.keep_tracks
    assert hash(built) == hash(options.Settings.of(_opts(distance=7, raw=True)))


def test_a_scorer_declares_what_it_accepts(model, monkeypatch):
    from spliceannot import registry

    fast = registry.scorers().get("fast")
    monkeypatch.setattr(type(fast), "accepts", ("distance", "mask"))
    with pytest.raises(UsageError, match=r"the fast scorer takes -D, -M only \(not --raw\)"):
        Session.open(_opts(model=model, raw=True))
    Session.open(_opts(model=model, distance=7)).close()
