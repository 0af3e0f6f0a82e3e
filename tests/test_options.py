"""Options declared once: a plugin's option (--demo-scale, from tests/data/plugins) reaches the
command line, the header, serve, precomputed and cache matching and --resume by declaration alone."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from support.paths import CHR16_FASTA, CHR16_TABLE, DATA, GOLDEN, REPO
from support.fakes import BaseCountModel, add_models
from spliceannot import options, registry
from spliceannot.cli import build_app
from spliceannot.errors import UsageError
from spliceannot.io.resume import check_settings
from spliceannot.lookup.score_cache import cache_key
from spliceannot.pipeline import Options, score_file
from spliceannot.session import Session
from spliceannot.plugins import load_plugins_dir

PLUGINS = DATA / "plugins"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The plugins dir loaded, the base-count model added, and a VCF of 25 golden records."""
    load_plugins_dir(PLUGINS)
    undo = add_models(BaseCountModel())
    lines = open(GOLDEN / "chr16_variants.vcf").readlines()
    head = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")][:25]
    vcf = tmp_path_factory.mktemp("demo") / "in.vcf"
    vcf.write_text("".join(head + body))
    yield vcf
    undo()


def opts(**kw):
    return Options(reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE),
                   model=BaseCountModel.name, progress=False, **kw)


def run_info(path) -> dict:
    with open(path) as handle:
        return json.loads(handle.readline())["spliceannot"]


def scores(path) -> list:
    with open(path) as handle:
        return [e for line in list(handle)[1:] for e in json.loads(line).get("scores", ())
                if "DS_AL" in e]


def test_builtin_declarations():
    declared = options.declared()
    assert all(o.help for o in declared.values())
    flags = [f for o in declared.values() for f in o.flags]
    assert len(flags) == len(set(flags))
    assert {o.name for o in options.scoring()} >= {"distance", "mask", "per_transcript",
                                                   "mask_mode", "pad_ends", "trim_alleles",
                                                   "raw", "delins_rule"}
    assert options.profile("lookup") == {"distance": 500, "mask": False, "per_transcript": True,
                                         "pad_ends": True, "trim_alleles": True, "raw": True,
                                         "delins_rule": "strongest-ref"}
    with pytest.raises(UsageError, match="--mask-mode 'x': choose nearest or positionwise"):
        options.check(opts(mask_mode="x"))
    with pytest.raises(UsageError, match="--mask-mode positionwise needs -M 1"):
        options.check(opts(mask_mode="positionwise"))
    with pytest.raises(UsageError, match="--distance must be >= 0, got -1"):
        options.check(opts(distance=-1))


def test_plugin_option_is_in_score_help(demo):
    result = CliRunner().invoke(build_app(), ["score", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--demo-scale" in result.stdout and "multiply ALT probabilities" in result.stdout
    # From the command line, --plugins-dir is read before the command is built.
    r = subprocess.run([sys.executable, "-m", "spliceannot", "score", "--plugins-dir",
                        str(PLUGINS), "--help"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0 and "--demo-scale" in r.stdout, r.stderr


def test_plugin_option_changes_scores_and_is_recorded(demo, tmp_path):
    base, same, scaled = (tmp_path / f"{n}.jsonl" for n in ("delta", "one", "half"))
    score_file(str(demo), str(base), opts(scorer="delta"))
    score_file(str(demo), str(same), opts(scorer="demo-scale"))
    score_file(str(demo), str(scaled), opts(scorer="demo-scale", demo_scale=0.5))
    assert "demo_scale" not in run_info(same)  # at its default: not recorded
    assert run_info(scaled)["demo_scale"] == 0.5
    assert scores(same) == scores(base) and len(scores(base)) > 5
    # Halving every ALT probability can only raise a loss (REF - ALT/2 >= REF - ALT) ...
    pairs = list(zip(scores(base), scores(scaled)))
    assert len(pairs) == len(scores(base)) and all(b["DS_AL"] <= s["DS_AL"] for b, s in pairs)
    assert sum(s["DS_AL"] - b["DS_AL"] for b, s in pairs) > 1  # ... and here raises many


def test_plugin_option_on_the_command_line(demo, tmp_path):
    out = tmp_path / "out.vcf"
    r = subprocess.run([sys.executable, "-m", "spliceannot", "score", str(demo), "-o", str(out),
                        "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--model", "tiny-dir",
                        "--plugins-dir", str(PLUGINS), "--scorer", "demo-scale",
                        "--demo-scale", "2", "-q"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert "##spliceannot_demo_scale=2.0\n" in out.read_text()
    r = subprocess.run([sys.executable, "-m", "spliceannot", "score", str(demo), "-o", str(out),
                        "-R", str(CHR16_FASTA), "-A", str(CHR16_TABLE), "--plugins-dir",
                        str(PLUGINS), "--demo-scale", "-1"], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 2
    assert r.stderr.strip() == "spliceannot: error: --demo-scale must be >= 0, got -1.0"


def test_plugin_option_is_a_serve_parameter(demo):
    names = [o.name for o in options.request_options("lookup")]
    assert {"distance", "mask", "mask_mode", "demo_scale"} <= set(names)
    assert not {"raw", "per_transcript", "trim_alleles", "pad_ends", "delins_rule"} & set(names)
    got = options.request_settings({"demo_scale": "0.25", "raw": "0"}, "lookup",
                                   {"distance": 50})
    assert got.demo_scale == 0.25 and got.distance == 50 and got.raw is True  # raw: the profile's
    assert options.request_settings({}, "lookup").distance == 500
    with pytest.raises(UsageError, match="--demo-scale 'x': must be a number"):
        options.request_settings({"demo_scale": "x"}, "lookup")
    from spliceannot.serve.service import BadRequest, Service

    stub = type("S", (), {"distance": 500, "mask": 0, "hg": "38", "family": "spliceai",
                          "placeholder": "chr16-1-A-G", "defaults": {}, "gene_set": "basic"})()
    with pytest.raises(BadRequest, match="--demo-scale must be >= 0"):
        Service.parameters(stub, {"hg": "38", "demo_scale": "-2"})
    p = Service.parameters(stub, {"hg": "38", "demo_scale": "0.25"})
    assert p["settings"].demo_scale == 0.25 and ("demo_scale", 0.25) in p["extras"]


def test_precomputed_file_without_the_option_is_refused(demo, tmp_path):
    import pysam

    plain, scaled = tmp_path / "plain.vcf.gz", tmp_path / "scaled.vcf.gz"
    score_file(str(demo), str(plain), opts(scorer="delta"))
    score_file(str(demo), str(scaled), opts(scorer="demo-scale", demo_scale=0.5))
    for path in (plain, scaled):
        pysam.tabix_index(str(path), preset="vcf", force=True)
    with pytest.raises(UsageError, match=r"made with demo_scale=\(unset\), this run uses 0.5"):
        score_file(str(demo), str(tmp_path / "x.vcf"),
                   opts(scorer="demo-scale", demo_scale=0.5, precomputed=(str(plain),)))
    with pytest.raises(UsageError, match=r"made with demo_scale=0.5, this run uses \(unset\)"):
        score_file(str(demo), str(tmp_path / "y.vcf"), opts(precomputed=(str(scaled),)))
    summary = score_file(str(demo), str(tmp_path / "z.vcf"),
                         opts(demo_scale=0.5, precomputed=(str(scaled),)))
    assert summary.timings["precomputed hits"] > 0 and summary.timings["precomputed misses"] == 0


def test_cache_and_resume_tell_the_option_apart(demo, tmp_path):
    plain = options.Settings()
    assert cache_key("m", "a", "r", plain) != cache_key("m", "a", "r",
                                                        options.Settings(demo_scale=0.5))
    assert cache_key("m", "a", "r", plain) == cache_key("m", "a", "r", options.Settings())
    out = tmp_path / "out.vcf"
    score_file(str(demo), str(out), opts())
    run = Session.open(opts(demo_scale=0.5), str(tmp_path / "again.vcf"))
    run.close()
    with pytest.raises(UsageError, match=r"other settings \(demo_scale: unset, this run: 0.5\)"):
        check_settings(str(out), run.run_info)
    run = Session.open(opts(), str(tmp_path / "again.vcf"))
    run.close()
    check_settings(str(out), run.run_info)  # the same settings: no error


def test_options_keep_the_python_api(demo):
    o = opts(raw=True)
    assert o["raw"] is True and o.raw is True and o.get("precision") == "fp32"
    assert o.replace(raw=False)["raw"] is False and o["raw"] is True
    assert Options(**o.__dict__) == o
    with pytest.raises(UsageError, match="unknown option.*distanse"):
        opts(distanse=5)
    with pytest.raises(KeyError):
        o["nope"]
    assert registry.options().get("demo_scale").scoring
