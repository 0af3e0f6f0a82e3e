"""Every command's options from the declarations: help panels by group, line budgets, plugin
options in every command that takes their group, and no hand-spelled declared flag."""

import os
import re
import subprocess
import sys

import pytest

from support.cli import run_python
from support.paths import DATA, REPO

PLUGINS = DATA / "plugins"
# Lines of `--help` at 100 columns with the shipped plugins loaded (Pangolin adds two options).
BUDGETS = {"score": 64, "plot": 50, "precompute": 53, "serve": 61, "predict": 40}
PANELS = ("Input", "Scoring", "Output", "Lookups", "Engine", "Distributed")


def _help(*args, plugins=True, env=None):
    environment = {**os.environ, "COLUMNS": "100", "TERM": "dumb", **(env or {})}
    extra = ["--plugins-dir", str(PLUGINS)] if plugins else []
    done = subprocess.run([sys.executable, "-m", "spliceannot", *args, *extra, "--help"],
                          capture_output=True, text=True, cwd=REPO, env=environment)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def helps():
    return {name: _help(name, plugins=False) for name in BUDGETS}


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_help_fits_its_line_budget(helps, name):
    lines = helps[name].splitlines()
    assert len(lines) <= BUDGETS[name], helps[name]
    assert max(len(line) for line in lines) <= 100


def test_score_help_panels_in_order_required_first(helps):
    text = helps["score"]
    found = [p for p in PANELS if f"─ {p} ─" in text]
    assert found == list(PANELS)
    assert [text.index(f"─ {p} ─") for p in found] == sorted(text.index(f"─ {p} ─")
                                                             for p in found)
    input_panel = text[text.index("─ Input ─"):text.index("─ Scoring ─")]
    rows = [line for line in input_panel.splitlines() if "--" in line and "─" not in line]
    assert "--reference" in rows[0] and "--annotation" in rows[1]
    # Types read as metavars, never <str>/<int>/<bool>; --help sits in the Output panel.
    options_text = text[text.index("─ Input ─"):]
    assert not re.search(r"<(str|int|bool|float)", options_text), options_text
    assert "(default: 50)" in text and "(default: fast" in text  # defaults shown
    assert "─ Options ─" not in text  # no panel of typer's own for --help


def test_format_lists_every_writer(helps):
    from spliceannot import registry

    row = " ".join(line for line in helps["score"].splitlines() if "--format" in line)
    following = helps["score"].split("--format", 1)[1].split("│ --", 1)[0]
    for name in registry.writers().names():
        assert name in following, (name, row)


@pytest.mark.parametrize("name", ["score", "precompute", "serve", "plot"])
def test_a_plugin_option_reaches_every_command_of_its_group(name):
    text = _help(name)
    assert "--demo-scale" in text
    scoring = text[text.index("─ Scoring ─"):]
    assert "--demo-scale" in scoring.split("╰")[0]


def test_no_hand_spelled_declared_flag_in_the_commands():
    """Flags a declaration owns appear in no command module (they come from the declarations)."""
    owned = ['"-R"', '"--reference"', '"-D"', '"-M"', '"--device"', '"--model"',
             '"--plugins-dir"', '"--engine"', '"--shards"', '"--address"', '"--workers"',
             '"-A"', '"--annotation"', '"--transcripts"']
    found = {}
    # Training reads other inputs under the same letters (a genome to learn from, gene models
    # as files only, a checkpoint to write): its own parameters, not a run's options.
    training = ("train.py", "species.py")
    for path in sorted((REPO / "spliceannot" / "cli").glob("*.py")):
        if path.name in training:
            continue
        text = path.read_text()
        hits = [flag for flag in owned if f"typer.Option({flag}" in text
                or f", {flag}," in text and "typer.Option" in text.split(flag)[0][-200:]]
        if path.name == "serve.py" and hits == ['"--model"']:
            continue  # repeatable there: one route per model family (a list, not a run's one)
        if hits:
            found[path.name] = hits
    assert found == {}


def test_help_stays_light():
    code = ("import sys; from spliceannot.cli import build_app; build_app(); "
            "heavy = [m for m in ('torch', 'cyvcf2', 'pysam', 'matplotlib') if m in sys.modules]; "
            "assert not heavy, heavy")
    done = run_python(code)
    assert done.returncode == 0, done.stderr


def test_plot_help_says_what_d_means(helps):
    assert "-D is" in helps["plot"] and "POS-D..POS+D" in helps["plot"]
