"""Built-in model backend ``openspliceai-file``: OpenSpliceAI ``.pt`` state dicts given as a path.

``--model PATH`` (and ``train transfer --from PATH``) of a ``.pt``/``.pth`` file, or of a directory
of them that is not a spliceannot checkpoint, is claimed here; the files are read by
:mod:`spliceannot.models.openspliceai` with ``torch.load(weights_only=True)`` and averaged as an
ensemble. The published, named OpenSpliceAI models are the ``spliceannot-openspliceai`` plugin's.
"""

import pathlib

from spliceannot import EnsembleModel, Model
from spliceannot.hookspecs import hookimpl

SUFFIXES = (".pt", ".pth")


class OpenSpliceAIFiles(EnsembleModel):
    """The networks of one ``.pt`` file or a directory of them, averaged."""

    def __init__(self, path):
        super().__init__()
        from spliceannot.models import openspliceai

        self.path = pathlib.Path(path)
        self.files = openspliceai.files(self.path)
        self.name = f"openspliceai-file:{self.path}"
        self.description = f"OpenSpliceAI state dicts at {self.path}"
        self.context = self.networks()[0].config.context  # the file says its flank

    def load_networks(self):
        from spliceannot.models import openspliceai

        return [openspliceai.load(f) for f in self.files]

    def weight_files(self):
        return list(self.files)

    def info(self):
        return dict(super().info(), path=str(self.path), members=len(self.files))


class OpenSpliceAIFileBackend(Model):
    """Claims OpenSpliceAI ``.pt`` paths; itself only a claimant (``predict`` needs a path)."""

    name = "openspliceai-file"
    description = "OpenSpliceAI .pt state dicts: --model PATH of a .pt file or a directory of them"
    context = 0

    def claims(self, path) -> bool:
        p = pathlib.Path(path)
        if p.is_file():
            return p.suffix.lower() in SUFFIXES
        return p.is_dir() and any(f.suffix.lower() in SUFFIXES for f in p.iterdir())

    def open(self, path):
        return OpenSpliceAIFiles(path)

    def predict(self, x):
        raise NotImplementedError("use --model PATH with an OpenSpliceAI .pt file or directory")


@hookimpl
def register_models(register):
    register(OpenSpliceAIFileBackend())
