"""spliceannot model backends for OpenSpliceAI's published checkpoints (Chao et al. 2025).

OpenSpliceAI ships PyTorch ``state_dict`` files, five seeds per species and flank:
``openspliceai-{mane,mouse,zebrafish,honeybee,arabidopsis}/{80,400,2000,10000}nt/model_*.pt``.
The weights are GPL-3.0 and not bundled: point ``SPLICEANNOT_OPENSPLICEAI_DIR`` at the folder
that holds the ``openspliceai-*`` directories (the upstream repository's ``models/``).

The network is SpliceAI's, with three differences from the Keras models that matter when the
weights are put into :class:`spliceannot.models.network.SpliceNet` (read from OpenSpliceAI's
``train_base/openspliceai.py``):

* activations are LeakyReLU(0.1), not ReLU;
* BatchNorm uses PyTorch's default eps 1e-5 (Keras SpliceAI: 1e-3);
* the skip 1x1 convs live in the same ``residual_units`` list as the residual units (after every
  fourth unit, so unit ``i`` is list entry ``i + i // 4``), named ``conv``.

Padding ('same', zeros), cropping (context/2 each side), channel order (neither, acceptor, donor)
and the softmax over classes are as in SpliceAI; the ensemble averages member probabilities.
"""

import os
import pathlib

from spliceannot.errors import ModelFileError
from spliceannot.hookspecs import hookimpl
from spliceannot.plugin import EnsembleModel

DIR_ENV = "SPLICEANNOT_OPENSPLICEAI_DIR"
SPECIES = ("mane", "mouse", "zebrafish", "honeybee", "arabidopsis")
FLANKS = (80, 400, 2000, 10000)
LEAKY_SLOPE = 0.1  # nn.LeakyReLU(0.1) in OpenSpliceAI's ResidualUnit
BN_EPS = 1e-5  # nn.BatchNorm1d's default, which OpenSpliceAI keeps


def network_config(flank: int):
    from spliceannot.plugin import NetworkConfig

    config = NetworkConfig.preset(flank)
    config.bn_eps = BN_EPS
    config.relu_slope = LEAKY_SLOPE
    return config


def load_checkpoint(path, flank: int):
    """One published ``.pt`` file as an eval-mode SpliceNet, through spliceannot's reader of
    OpenSpliceAI state dicts; a file of another flank is refused."""
    from spliceannot.plugin import load_openspliceai

    net = load_openspliceai(path)
    if net.config.context != flank:
        raise ModelFileError(f"{path}: a {net.config.context} nt network, not {flank} nt")
    return net


class OpenSpliceAIModel(EnsembleModel):
    """The five seeds of one species and flank, averaged."""

    def __init__(self, species: str, flank: int):
        super().__init__()
        self.species = species
        self.context = flank
        self.name = f"openspliceai-{species}-{flank}"
        self.description = (f"OpenSpliceAI {species} {flank} nt (PyTorch, GPL-3.0 weights from "
                            f"${DIR_ENV}/openspliceai-{species}/{flank}nt)")

    def folder(self) -> pathlib.Path:
        root = os.environ.get(DIR_ENV)
        if not root:
            raise ModelFileError(f"{self.name}: set {DIR_ENV} to the folder holding the "
                                 f"openspliceai-* model directories (not bundled: GPL-3.0)")
        return pathlib.Path(root) / f"openspliceai-{self.species}" / f"{self.context}nt"

    def files(self) -> list:
        folder = self.folder()
        files = sorted(folder.glob("*.pt")) + sorted(folder.glob("*.pth"))
        if not files:
            raise ModelFileError(f"{self.name}: no .pt files in {folder}")
        return files

    def load_networks(self):
        return [load_checkpoint(p, self.context) for p in self.files()]

    def weight_files(self) -> list:  # model_hash: their digests, kept by file stat
        return self.files()

    def info(self):
        info = super().info()
        try:
            info["members"] = len(self.files())
        except ModelFileError:
            info["members"] = 0
        return info


@hookimpl
def register_models(register):
    for species in SPECIES:
        for flank in FLANKS:
            register(OpenSpliceAIModel(species, flank))
