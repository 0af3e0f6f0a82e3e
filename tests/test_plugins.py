"""The plugin host: built-ins listed, a throwaway backend plugged in and used, bad plugins refused."""

import inspect
import json
import pathlib
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from support.paths import CHR16_FASTA, CHR16_TABLE, EXAMPLES
from spliceannot import hookspecs, registry
from spliceannot.cli import build_app
from spliceannot.errors import PluginError, UnknownName
from spliceannot.errors import UsageError
from spliceannot.hookspecs import hookimpl
from spliceannot.models import EnsembleModel
from spliceannot.plugins import DEFAULT_PLUGINS, get_plugin_manager

runner = CliRunner()


class TinyModel(EnsembleModel):
    """A real (randomly initialised, seeded) SpliceNet with 80 nt of context."""

    name = "tiny-test"
    description = "throwaway test backend"
    context = 80
    calls = 0

    def load_networks(self):
        import torch

        from spliceannot.models.network import NetworkConfig, SpliceNet

        torch.manual_seed(0)
        return [SpliceNet(NetworkConfig.preset(80))]

    def networks(self):  # both scorers reach the weights through here
        TinyModel.calls += 1
        return super().networks()


class TinyPlugin:
    @hookimpl
    def register_models(self, register):
        register(TinyModel())


@pytest.fixture
def tiny_plugin():
    pm = get_plugin_manager()
    pm.register(TinyPlugin(), name="tiny-test-plugin")
    registry.reset()
    yield
    pm.unregister(name="tiny-test-plugin")
    registry.reset()


def test_builtins_are_listed():
    result = runner.invoke(build_app(), ["plugins", "--all"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    names = {r["name"] for r in rows}
    assert set(DEFAULT_PLUGINS) <= names
    hooks = {h for r in rows for h in r["hooks"]}
    assert {"register_models", "register_annotation_sources", "register_scorers",
            "register_writers"} <= hooks
    assert json.loads(runner.invoke(build_app(), ["plugins"]).stdout) == [
        r for r in rows if not r["builtin"]]


def test_models_command_lists_spliceai():
    result = runner.invoke(build_app(), ["models"])
    assert result.exit_code == 0
    assert re.search(r"^spliceai\tcontext=10000\t", result.stdout, re.M)


def test_throwaway_backend_scores(tiny_plugin, tmp_path):
    assert "tiny-test" in registry.models().names()
    out = tmp_path / "out.vcf"
    TinyModel.calls = 0
    result = runner.invoke(build_app(), [
        "score", str(EXAMPLES / "chr16_demo.vcf"), "-o", str(out), "-R", str(CHR16_FASTA),
        "-A", str(CHR16_TABLE), "--model", "tiny-test", "-q"])
    assert result.exit_code == 0, result.output
    assert TinyModel.calls > 0
    entries = [kv.split("=", 1)[1] for line in open(out) if not line.startswith("#")
               for kv in line.rstrip("\n").split("\t")[7].split(";") if kv.startswith("SpliceAI=")]
    assert len(entries) == 10  # the demo's 12 records less one intergenic, one <DEL>
    for entry in ",".join(entries).split(","):
        fields = entry.split("|")
        assert len(fields) == 10
        if fields[2] != ".":
            assert all(-1 <= float(v) <= 1 for v in fields[2:6])
            assert all(-50 <= int(v) <= 50 for v in fields[6:])
    assert "##spliceannot_model=tiny-test" in open(out).read()


class DuplicatePlugin:
    @hookimpl
    def register_models(self, register):
        register(TinyModel())
        register(TinyModel())


def test_duplicate_name_is_refused():
    pm = get_plugin_manager()
    pm.register(DuplicatePlugin(), name="dup-plugin")
    registry.reset()
    try:
        with pytest.raises(PluginError, match="'tiny-test' is already registered"):
            registry.models()
    finally:
        pm.unregister(name="dup-plugin")
        registry.reset()


def test_wrong_type_is_refused():
    reg = registry.Registry("model", "register_models", EnsembleModel)
    with pytest.raises(PluginError, match="expected an instance of EnsembleModel"):
        reg.register(object())


def test_unknown_name_lists_known():
    with pytest.raises(UnknownName, match=r"unknown model 'nope'; known: .*spliceai"):
        registry.models().get("nope")


def test_plugins_dir(tmp_path):
    (tmp_path / "extra_writer.py").write_text(
        "from spliceannot.hookspecs import hookimpl\n"
        "from spliceannot.io.writer import Writer\n"
        "class Ids(Writer):\n"
        "    name = 'ids'\n"
        "    def __init__(self, path, reader, run_info):\n"
        "        super().__init__(path, reader, run_info)\n"
        "        self.h = open(path, 'w')\n"
        "    def write(self, record, plan):\n"
        "        self.h.write(record.variant.id + '\\n')\n"
        "    def close(self):\n"
        "        self.h.close()\n"
        "@hookimpl\n"
        "def register_writers(register):\n"
        "    register(Ids)\n")
    from spliceannot.plugins import load_plugins_dir

    try:
        assert load_plugins_dir(tmp_path) == ["spliceannot_dir_plugin_extra_writer"]
        assert "ids" in registry.writers().names()
    finally:
        get_plugin_manager().unregister(name="spliceannot_dir_plugin_extra_writer")
        registry.reset()


# --- every hook is documented and tested (datasette's meta-test) ---

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(fn, "spliceannot_spec")]


def test_hooks_exist():
    assert set(HOOKS) == {"register_models", "register_annotation_sources", "register_scorers",
                          "register_lookups", "register_writers", "register_track_writers",
                          "register_options",
                          "register_commands"}


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook))
    params = inspect.signature(getattr(hookspecs, hook)).parameters
    assert doc and ":return:" in doc
    for param in params:
        assert f":param {param}:" in doc


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    sources = "".join(p.read_text() for p in pathlib.Path(__file__).parent.rglob("test_*.py"))
    assert f"def test_hook_{hook}" in sources


def test_hook_register_models(tiny_plugin):
    assert isinstance(registry.models().get("tiny-test"), TinyModel)


def test_hook_register_annotation_sources():
    assert {"grch37", "grch38", "table"} <= set(registry.annotation_sources().names())


def test_hook_register_scorers():
    assert "delta" in registry.scorers().names()


def test_hook_register_lookups():
    from spliceannot.lookup import Lookup

    lookups = registry.lookups()
    assert {"precomputed", "cache"} <= set(lookups.names())
    assert all(issubclass(cls, Lookup) for cls in lookups.values())
    assert "cache" not in registry.scorers().names()  # a lookup is not a --scorer


def test_hook_register_writers():
    assert {"vcf", "tsv"} <= set(registry.writers().names())


def test_hook_register_track_writers():
    from spliceannot.tracks import TrackWriter

    found = registry.track_writers()
    assert {"bigwig", "bedgraph", "bed", "tsv"} <= set(found.names())
    assert all(issubclass(cls, TrackWriter) for cls in found.values())
    assert registry.track_writer_for("x.BED.GZ").name == "bed"  # the longest suffix wins
    with pytest.raises(UsageError, match="output type follows the name"):
        registry.track_writer_for("x.vcf")


class OptionPlugin:
    @hookimpl
    def register_options(self, register):
        from spliceannot.options import Option

        register(Option("hook_test_level", 3, scoring=True, example=4, help="a test option"))


class TakenOptionPlugin:
    @hookimpl
    def register_options(self, register):
        from spliceannot.options import Option

        register(Option("raw", True))


def test_hook_register_options():
    from spliceannot.options import Option, Options, Settings

    assert {"distance", "mask", "raw", "precomputed"} <= set(registry.options().names())
    pm = get_plugin_manager()
    pm.register(OptionPlugin(), name="option-plugin")
    registry.reset()
    try:
        option = registry.options().get("hook_test_level")
        assert option.flags == ("--hook-test-level",) and option.type is int
        assert list(registry.options().names())[0] == "reference"  # built-ins first
        assert Options(reference="r", annotation="a")["hook_test_level"] == 3
        assert Settings(hook_test_level=4).record() == {"distance": 50, "mask": 0,
                                                        "hook_test_level": 4}
        assert Settings().record() == {"distance": 50, "mask": 0}
    finally:
        pm.unregister(name="option-plugin")
        registry.reset()
    pm.register(TakenOptionPlugin(), name="taken-option-plugin")
    registry.reset()
    try:
        with pytest.raises(PluginError, match="option name 'raw' is already registered"):
            registry.options()
    finally:
        pm.unregister(name="taken-option-plugin")
        registry.reset()
    with pytest.raises(PluginError, match="not an identifier"):
        Option("demo-scale")


class CommandPlugin:
    @hookimpl
    def register_commands(self, app):
        @app.command("hello-test")
        def hello():
            print("hello from a plugin")


def test_hook_register_commands():
    pm = get_plugin_manager()
    pm.register(CommandPlugin(), name="cmd-plugin")
    try:
        result = runner.invoke(build_app(), ["hello-test"])
        assert result.exit_code == 0 and "hello from a plugin" in result.stdout
    finally:
        pm.unregister(name="cmd-plugin")
