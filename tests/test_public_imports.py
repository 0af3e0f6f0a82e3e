"""Plugins use the public surface only: the shipped plugins' code and the Python in the plugin docs
import nothing from spliceannot but the modules of ALLOWED, and every name they take from those
exists. (A plugin's own tests may reach further: they are not what a user installs.)"""

import ast
import importlib
import re

import pytest

from support.paths import REPO

# The public modules a plugin may import (docs/plugin-tutorial.md says the same).
ALLOWED = ("spliceannot", "spliceannot.plugin", "spliceannot.hookspecs", "spliceannot.errors")
PLUGIN_CODE = sorted(p for p in (REPO / "plugins").rglob("*.py")
                     if "tests" not in p.relative_to(REPO / "plugins").parts)
DOCS = ("plugins.md", "plugin-tutorial.md", "testing-plugins.md")


def doc_blocks(name: str) -> list:
    return re.findall(r"```python\n(.*?)```", (REPO / "docs" / name).read_text(), re.S)


def imports(code: str) -> list:
    """(module, [names]) of every import of a spliceannot module in ``code``."""
    out = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "spliceannot"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 \
                and (node.module or "").split(".")[0] == "spliceannot":
            out.append((node.module, [a.name for a in node.names]))
    return out


SOURCES = [(str(p.relative_to(REPO)), p.read_text()) for p in PLUGIN_CODE] + \
    [(f"docs/{d} block {i}", code) for d in DOCS for i, code in enumerate(doc_blocks(d), 1)]


def test_the_shipped_plugins_and_docs_are_checked():
    names = [n for n, _ in SOURCES]
    assert any("spliceannot-pangolin" in n for n in names)
    assert any("spliceannot-openspliceai" in n for n in names)
    assert all(any(n.startswith(f"docs/{d}") for n in names) for d in DOCS)


@pytest.mark.parametrize("where, code", SOURCES, ids=[n for n, _ in SOURCES])
def test_imports_are_public(where, code):
    for module, names in imports(code):
        assert module in ALLOWED, f"{where} imports {module}; allowed: {', '.join(ALLOWED)}"
        public = importlib.import_module(module)
        for name in names:
            assert hasattr(public, name), f"{where}: {module} has no public {name}"


def test_the_check_can_fail():
    code = "from spliceannot.models.network import SpliceNet\nimport spliceannot.delta\n"
    assert [m for m, _ in imports(code)] == ["spliceannot.models.network", "spliceannot.delta"]
    assert all(m not in ALLOWED for m, _ in imports(code))


def test_the_plugin_surface_loads():
    import spliceannot.plugin as surface

    for name in surface.__all__:
        assert getattr(surface, name) is not None
    with pytest.raises(AttributeError, match="the plugin surface is"):
        surface.NoSuchThing


def test_the_tutorial_and_its_tests_run(tmp_path, monkeypatch):
    """docs/plugin-tutorial.md's module, tested by docs/testing-plugins.md's tests, as written."""
    def block(doc, marker):
        text = (REPO / "docs" / doc).read_text().split(f"<!-- {marker} -->", 1)[1]
        return re.search(r"```python\n(.*?)```", text, re.S).group(1)

    (tmp_path / "spliceannot_maxrise.py").write_text(block("plugin-tutorial.md", "tutorial-module"))
    tests = tmp_path / "test_maxrise.py"
    tests.write_text(block("testing-plugins.md", "tutorial-tests"))
    monkeypatch.syspath_prepend(str(tmp_path))
    code = pytest.main([str(tests), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                        "-o", "addopts="])
    assert code == 0
