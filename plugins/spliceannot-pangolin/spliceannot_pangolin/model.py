"""The ``pangolin`` model backend: Pangolin's 12 default networks, their tracks kept apart.

Each weight file is one SpliceNet ending in its tissue's head (:mod:`.weights`), so the engine
runs the 12 of them (shared REF tracks, ALT cones) and :meth:`PangolinModel.combine` keeps their
outputs side by side instead of averaging them: the scorer averages per tissue as Pangolin does.
"""

import pathlib

from spliceannot import EnsembleModel
from spliceannot.errors import SpliceannotError

from . import weights
from .weights import LICENSE, SOURCE, TISSUES, WEIGHT_FILES


def _inference_class():
    from spliceannot.plugin import InferenceNet

    class UsageNet(InferenceNet):
        """A member whose output is class 1 of its 2-class softmax head, (B, n, 1)."""

        def probs(self, skip, temperatures=None):
            import torch

            return torch.softmax(self.head(skip).float().contiguous(), dim=-1)[..., 1:]

    return UsageNet


class PangolinModel(EnsembleModel):
    """Pangolin's 12 default networks: predict gives (B, n, 12), column 3 t + k - 1 from
    ``final.k.{2t}.3.v2`` (tissue t's splice-site probability)."""

    scorer = "pangolin"
    tissues = TISSUES
    track_classes = TISSUES  # predict: each tissue's splice-site probability

    def __init__(self, folder=None, name: str = "pangolin"):
        super().__init__()
        self.name = name
        self._folder = folder
        self._context = None
        self.description = (f"Pangolin 1.0.2's 12 default networks, writing INFO/Pangolin "
                            f"({LICENSE} weights, not bundled: 'spliceannot pangolin "
                            f"install-weights DIR' once, or --model DIR; from {SOURCE})")

    def folder(self) -> pathlib.Path:
        """Given, or found at first use and then kept: the networks, their context and the
        engine built on them all come from one folder for the life of this object."""
        if not self._folder:
            self._folder = weights.find_dir()
        return pathlib.Path(self._folder)

    def files(self) -> list:
        return weights.files(self.folder())

    def weights(self) -> str:
        """For `spliceannot models`: whether the 12 networks are found, without loading them."""
        try:
            self.files()
        except SpliceannotError:
            return "missing ('spliceannot pangolin install-weights DIR' or --model DIR)"
        return "installed"

    @property
    def context(self) -> int:
        """The files' own (10,000 for Pangolin's weights), read before any network is built:
        planning needs it first."""
        if self._context is None:
            self._context = weights.context_of(self.files()[0])
        return self._context

    def load_networks(self):
        return [weights.load_file(p) for p in self.files()]

    def inference_net(self, net, device=None):
        return _inference_class()(net, device)

    def combine(self, outputs):
        import torch

        return torch.cat(outputs, dim=-1)  # (B, n, 12): tissues are averaged by the scorer

    def track_values(self, y):
        """(n, 12) -> (n, 4): per tissue, the mean of its 3 networks' splice-site probability
        (the columns Pangolin's scoring averages the changes of)."""
        import numpy as np

        return y.reshape(len(y), len(TISSUES), 3).mean(axis=2, dtype=np.float32)

    def weight_files(self) -> list:  # model_hash: their digests, kept by file stat
        return self.files()

    def claims(self, path) -> bool:
        p = pathlib.Path(path)
        return p.is_dir() and any((p / f).exists() for f in WEIGHT_FILES)

    def open(self, path):
        model = PangolinModel(path)
        model.files()  # incomplete: one line now, not at the first record
        model.networks()  # and the context is the files' own
        return model

    def info(self):
        try:
            where, context = str(self.folder()), self.context
        except SpliceannotError:  # not set up: `spliceannot models` still lists the backend
            where, context = "not set up (spliceannot pangolin install-weights DIR)", 10000
        return {"name": self.name, "context": context, "description": self.description,
                "license": LICENSE, "source": SOURCE, "tissues": list(TISSUES),
                "info_field": "Pangolin", "weights": where}
