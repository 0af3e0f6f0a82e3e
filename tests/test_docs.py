"""docs/: the mkdocs site builds with --strict, and the code blocks marked runnable run."""

import os
import re
import subprocess
import sys

import pytest

from support.paths import REPO

DOCS = REPO / "docs"
MARK = "<!-- runnable -->"


def runnable_blocks():
    """(page, language, code) of each fenced block right after a ``<!-- runnable -->`` line."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        for m in re.finditer(re.escape(MARK) + r"\n```(bash|python)\n(.*?)```", text, re.S):
            found.append((page.name, m.group(1), m.group(2)))
    return found


def test_some_blocks_are_marked_runnable():
    pages = {page for page, _, _ in runnable_blocks()}
    assert {"index.md", "usage.md"} <= pages
    # A mark not followed by a bash or python block would silently run nothing.
    marks = sum(page.read_text().count(MARK) for page in DOCS.glob("*.md"))
    assert marks == len(runnable_blocks())


def test_mkdocs_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                        str(REPO / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "site" / "usage" / "index.html").exists()
    every = {p.stem for p in DOCS.glob("*.md")}
    nav = set(re.findall(r":\s*([\w-]+)\.md\s*$", (REPO / "mkdocs.yml").read_text(), re.M))
    assert every - nav == set(), "pages left out of mkdocs.yml's nav"


@pytest.mark.parametrize("page, language, code", runnable_blocks(),
                         ids=[f"{p}:{i}" for i, (p, _, _) in enumerate(runnable_blocks())])
def test_runnable_block(page, language, code, tmp_path, spliceai_model):
    """Run where a reader would, in a fresh folder beside the example data."""
    for name in ("examples", "annotations"):
        (tmp_path / name).symlink_to(REPO / name)
    bin_dir = tmp_path / ".bin"
    bin_dir.mkdir()
    (bin_dir / "spliceannot").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m spliceannot "$@"\n')
    (bin_dir / "spliceannot").chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" \
        else [sys.executable, "-c", code]
    r = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 0, f"{page}:\n{code}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
