"""Built-in model backend for spliceannot checkpoints: trained models as ``--model PATH`` or by name.

``--model PATH`` (a checkpoint or ensemble directory, or its JSON file) is claimed by the
``checkpoint`` backend through ``claims(path)``/``open(path)``. Directories listed in
``SPLICEANNOT_MODELS_PATH`` (``os.pathsep``-separated) and ``$XDG_DATA_HOME/spliceannot/models``
(default ``~/.local/share/spliceannot/models``) are searched for checkpoint sub-directories, each
registered under its directory name so ``spliceannot models`` lists it and ``--model NAME`` works.
"""

import os
import pathlib

from spliceannot.hookspecs import hookimpl
from spliceannot.models import Model
from spliceannot.models.checkpoint import NamedCheckpoint

MODELS_PATH_ENV = "SPLICEANNOT_MODELS_PATH"


def model_dirs() -> list:
    dirs = [p for p in os.environ.get(MODELS_PATH_ENV, "").split(os.pathsep) if p]
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(pathlib.Path.home(), ".local",
                                                                 "share")
    dirs.append(os.path.join(data_home, "spliceannot", "models"))
    return [pathlib.Path(d) for d in dirs]


class CheckpointBackend(Model):
    """Opens checkpoint paths; itself only a claimant (``predict`` needs a path)."""

    name = "checkpoint"
    description = ("spliceannot checkpoints: --model PATH of a checkpoint or ensemble directory "
                   f"(also found by name in ${MODELS_PATH_ENV})")
    context = 0

    def claims(self, path) -> bool:
        from spliceannot.models import checkpoint

        return checkpoint.is_model(path)

    def open(self, path, name: str = None):
        from spliceannot.models.checkpoint import CheckpointModel

        return CheckpointModel(path, name=name)

    def predict(self, x):
        raise NotImplementedError("use --model PATH with a checkpoint directory")

    def info(self) -> dict:
        return dict(super().info(), search_path=[str(d) for d in model_dirs()])


def discovered() -> list:
    from spliceannot.models import checkpoint
    from spliceannot.errors import ModelFileError

    found = []
    for d in model_dirs():
        if not d.is_dir():
            continue
        for sub in sorted(d.iterdir()):
            if sub.is_dir() and checkpoint.is_model(sub):
                try:
                    found.append(NamedCheckpoint(sub.name, sub, checkpoint.read_meta(sub)))
                except ModelFileError:
                    continue  # a broken directory must not break `spliceannot models`
    return found


@hookimpl
def register_models(register):
    register(CheckpointBackend())
    names = set()
    for model in discovered():
        if model.name not in names and model.name not in ("spliceai", "checkpoint"):
            names.add(model.name)
            register(model)
