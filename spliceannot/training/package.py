"""package: a trained model as a pip-installable plugin distribution registering a named backend.

``make_package(model, name, out)`` writes ``out/`` with ``pyproject.toml`` (build backend
in-tree, so ``pip install out`` needs neither setuptools nor a network), ``README.md`` (the
model's card), ``_build/`` (:mod:`.wheel_backend` and what it builds) and the package
``spliceannot_model_<name>/`` holding a copy of the model directory as package data and a plugin
module whose ``register_models`` hook registers the model under ``name``. Installed, it is listed
by ``spliceannot models`` and used by ``score --model NAME`` (fast engine, temperatures applied).
"""

import json
import pathlib
import re
import shutil

from .. import __version__
from ..models import checkpoint
from ..errors import OutputError, UsageError

# Every value from the model card is written as a literal (repr for Python, an escaped basic
# string for TOML, JSON for the build spec): a crafted model.json must not become code that runs
# on every spliceannot start once the package is installed.
PLUGIN = '''{doc}

import pathlib

from spliceannot import NamedCheckpoint, hookimpl

MODEL = pathlib.Path(__file__).resolve().parent / "model"


@hookimpl
def register_models(register):
    register(NamedCheckpoint({name!r}, MODEL))
'''

PYPROJECT = '''[build-system]
requires = []
build-backend = "backend"
backend-path = ["_build"]

[project]
name = {dist}
version = {version}
description = {summary}
readme = "README.md"
license = {{text = {license}}}
dependencies = [{requires}]

[project.entry-points.spliceannot]
{name} = {module}
'''

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# PEP 440 public versions (the subset a model release needs): 1.0, 1.0.0, 2.1rc1, 1.0.post2
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$")


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def one_line(value) -> str:
    """A card field as one line of text (it goes into METADATA headers and a summary)."""
    return " ".join(str(value).split())


def make_package(model, name: str, out, version: str = "1.0.0") -> pathlib.Path:
    if not NAME.fullmatch(name):
        raise UsageError(f"--name {name!r}: lower-case letters, digits and '_', starting with a "
                         f"letter (it becomes a Python module name)")
    if not VERSION.fullmatch(version):
        raise UsageError(f"--version {version!r}: not a version such as 1.0.0 (PEP 440)")
    if name in ("spliceai", "checkpoint"):
        raise UsageError(f"--name {name!r} is a built-in backend")
    if not checkpoint.is_model(model):
        raise UsageError(f"{model}: not a spliceannot checkpoint or ensemble directory")
    src = checkpoint._dir(model)
    out = pathlib.Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty")
    meta = checkpoint.read_meta(src)
    species = one_line(meta.get("species") or "") or "unknown species"
    licence = one_line(meta.get("licence") or "") or "see README.md"
    module, dist = f"spliceannot_model_{name}", f"spliceannot-model-{name.replace('_', '-')}"
    summary = f"spliceannot model backend {name!r} for {species}"
    requires = f"spliceannot>={__version__}"
    doc = repr(f"spliceannot plugin: the {name!r} splice-site model ({species}); see README.md.")
    try:
        _write(out, src, module, doc, summary, PYPROJECT.format(
            dist=toml_string(dist), version=toml_string(version), summary=toml_string(summary),
            license=toml_string(licence), requires=toml_string(requires), name=name,
            module=toml_string(module)),
            {"name": dist, "version": version, "module": module, "entry_point": name,
             "summary": summary, "license": licence, "requires": [requires]}, name)
    except OSError as exc:
        raise OutputError(f"cannot write the package to {out}: "
                          f"{exc.strerror or exc}") from None
    return out


def _write(out, src, module, doc, summary, pyproject, spec, name):
    pkg = out / module
    shutil.copytree(src, pkg / "model", ignore=shutil.ignore_patterns("last", "*.pt", "*.tmp"))
    (pkg / "__init__.py").write_text(PLUGIN.format(name=name, doc=doc))
    card = src / "README.md"
    (out / "README.md").write_text(card.read_text() if card.is_file() else f"# {summary}\n")
    (out / "pyproject.toml").write_text(pyproject)
    build = out / "_build"
    build.mkdir()
    shutil.copyfile(pathlib.Path(__file__).with_name("wheel_backend.py"), build / "backend.py")
    (build / "package.json").write_text(json.dumps(spec, indent=2) + "\n")
