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
from ..errors import UsageError

PLUGIN = '''"""spliceannot plugin: the {name!r} splice-site model ({species}); see README.md."""

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
name = "{dist}"
version = "{version}"
description = "{summary}"
readme = "README.md"
license = {{text = "{license}"}}
dependencies = ["spliceannot>={spliceannot}"]

[project.entry-points.spliceannot]
{name} = "{module}"
'''

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def make_package(model, name: str, out, version: str = "1.0.0") -> pathlib.Path:
    if not NAME.match(name):
        raise UsageError(f"--name {name!r}: lower-case letters, digits and '_', starting with a "
                         f"letter (it becomes a Python module name)")
    if name in ("spliceai", "checkpoint"):
        raise UsageError(f"--name {name!r} is a built-in backend")
    if not checkpoint.is_model(model):
        raise UsageError(f"{model}: not a spliceannot checkpoint or ensemble directory")
    src = checkpoint._dir(model)
    out = pathlib.Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty")
    meta = checkpoint.read_meta(src)
    species = meta.get("species") or "unknown species"
    licence = meta.get("licence") or "see README.md"
    module, dist = f"spliceannot_model_{name}", f"spliceannot-model-{name.replace('_', '-')}"
    summary = f"spliceannot model backend {name!r} for {species}"
    pkg = out / module
    shutil.copytree(src, pkg / "model", ignore=shutil.ignore_patterns("last", "*.pt", "*.tmp"))
    (pkg / "__init__.py").write_text(PLUGIN.format(name=name, species=species))
    card = src / "README.md"
    (out / "README.md").write_text(card.read_text() if card.is_file() else f"# {summary}\n")
    (out / "pyproject.toml").write_text(PYPROJECT.format(
        dist=dist, version=version, summary=summary.replace('"', "'"),
        license=licence.replace('"', "'"), spliceannot=__version__, name=name, module=module))
    build = out / "_build"
    build.mkdir()
    shutil.copyfile(pathlib.Path(__file__).with_name("wheel_backend.py"), build / "backend.py")
    spec = {"name": dist, "version": version, "module": module, "entry_point": name,
            "summary": summary, "license": licence,
            "requires": [f"spliceannot>={__version__}"]}
    (build / "package.json").write_text(json.dumps(spec, indent=2) + "\n")
    return out
