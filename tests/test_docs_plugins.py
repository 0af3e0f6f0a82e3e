"""docs/plugins.md documents every hook, and its example plugin runs as written."""

import inspect
import re

from typer.testing import CliRunner

from support.paths import CHR16_FASTA, CHR16_TABLE, GOLDEN, REPO
from support.fakes import BaseCountModel, add_models
from spliceannot import hookspecs, registry
from spliceannot.cli import build_app
from spliceannot.plugins import get_plugin_manager, load_plugins_dir
from spliceannot.pipeline import Options, score_file

DOC = REPO / "docs" / "plugins.md"
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(fn, "spliceannot_spec")]


def test_every_hook_has_a_section():
    headings = re.findall(r"^### `(\w+)`", DOC.read_text(), re.M)
    assert sorted(headings) == sorted(HOOKS)


def test_example_plugin_runs(tmp_path):
    code = DOC.read_text().split("<!-- example-plugin -->", 1)[1]
    code = re.search(r"```python\n(.*?)```", code, re.S).group(1)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "ids_and_hello.py").write_text(code)
    name = "spliceannot_dir_plugin_ids_and_hello"
    undo = add_models(BaseCountModel())
    try:
        load_plugins_dir(tmp_path / "plugins")
        undo = add_models(BaseCountModel())  # the registry was reset by loading
        out = tmp_path / "out.ids"
        score_file(str(GOLDEN / "chr16_variants.vcf"), str(out), Options(
            reference=str(CHR16_FASTA), annotation=str(CHR16_TABLE), model=BaseCountModel.name))
        lines = open(out).read().splitlines()
        assert lines[0] == f"# model={BaseCountModel.name} D=50" and len(lines) > 100
        result = CliRunner().invoke(build_app(), ["hello"])
        assert result.exit_code == 0 and "hello from a plugin" in result.stdout
    finally:
        undo()
        get_plugin_manager().unregister(name=name)
        registry.reset()
