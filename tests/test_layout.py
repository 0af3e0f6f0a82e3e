"""The tree reads as the pipeline: the layout table of docs/developer.md matches it, no two modules import each
other, and the module paths from before the subpackages are gone (CHANGELOG.md says where)."""

import ast
import importlib
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
PKG = REPO / "spliceannot"


def modules() -> dict:
    found = {}
    for path in PKG.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: pathlib.Path, known: dict) -> set:
    """Modules of the package that ``name`` imports anywhere (function-level imports too)."""
    is_pkg = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            targets += subs
            if len(subs) < len(node.names):
                targets.append(target)
        elif isinstance(node, ast.Import):
            targets += [a.name for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target not in (name, "spliceannot"):
                out.add(target)
    return out


def test_no_module_imports_one_that_imports_it_back():
    known = modules()
    edges = {name: imports(name, path, known) for name, path in known.items()}
    mutual = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges[b]})
    assert mutual == []


def layout_table() -> list:
    text = (REPO / "docs" / "developer.md").read_text()
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = []
    for row in section.splitlines():
        if row.startswith("| `"):
            base = ""
            for name in re.findall(r"`([^`]+)`", row.split("|")[1]):
                if "/" in name.rstrip("/"):
                    base = str(pathlib.PurePosixPath(name.rstrip("/")).parent)
                    paths.append(name)
                else:  # `a/b.py`, `c.py`: c.py sits beside b.py
                    paths.append(f"{base}/{name}" if base else name)
    return paths


def test_layout_table_matches_the_tree():
    listed = layout_table()
    for path in listed:
        assert (REPO / path.rstrip("/")).exists(), f"docs/developer.md layout names {path}, absent from the tree"
    top = {p.name for p in PKG.iterdir()
           if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
           and p.name not in ("__init__.py", "__main__.py")}
    named = {pathlib.PurePosixPath(p.rstrip("/")).name for p in listed}
    missing = sorted(n for n in top if n not in named)
    assert missing == [], f"spliceannot/ entries missing from the layout table of docs/developer.md: {missing}"


def changelog_moves() -> dict:
    """The old path -> new home table of CHANGELOG.md's deprecation note."""
    text = (REPO / "CHANGELOG.md").read_text()
    return dict(re.findall(r"^\| `(spliceannot\.[a-z0-9_]+)` \| `(spliceannot[a-z0-9_.]*)`", text, re.M))


def test_changelog_lists_every_old_path_with_a_real_new_home():
    moves = changelog_moves()
    assert len(moves) == 21
    for old, new in moves.items():
        assert (PKG / old.split(".", 1)[1]).with_suffix(".py").exists() is False
        assert new in modules(), f"CHANGELOG sends {old} to {new}, absent from the tree"


@pytest.mark.parametrize("old", sorted(changelog_moves()))
def test_old_module_paths_no_longer_import(old):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(old)


def test_no_import_hook_is_installed():
    import spliceannot
    spliceannot.Model  # loads a submodule through the facade
    assert not [f for f in sys.meta_path if type(f).__module__.startswith("spliceannot")]


def test_public_paths_import():
    import spliceannot
    from spliceannot import errors, hookspecs
    assert spliceannot.hookimpl is hookspecs.hookimpl
    assert spliceannot.UsageError is errors.UsageError
    for name in spliceannot.__all__:
        assert getattr(spliceannot, name) is not None


def test_file_tree_mirrors_the_package():
    """tests/<subpackage>/ only for subpackages that exist; helpers come from support/, not
    from a conftest imported by name."""
    tests = REPO / "tests"
    for d in tests.iterdir():
        if d.is_dir() and list(d.glob("test_*.py")):
            assert (PKG / d.name / "__init__.py").exists(), f"tests/{d.name}/ mirrors no subpackage"
    for path in tests.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not names & {"conftest", "toy", "fakes", "fuzzing"}, path


def test_every_test_file_collects_alone():
    """``pytest --collect-only FILE`` works for each test file by itself (forked children of one
    warm interpreter: tests/support/collect_alone.py)."""
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / "tests").rglob("test_*.py"))
    files += sorted(str(p.relative_to(REPO)) for p in (REPO / "plugins").rglob("test_*.py"))
    names = [pathlib.Path(f).name for f in files]
    assert len(set(names)) == len(names), "two test files share a name"
    result = subprocess.run([sys.executable, "tests/support/collect_alone.py", *files], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr[-2000:]
