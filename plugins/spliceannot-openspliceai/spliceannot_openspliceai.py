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
import re

from spliceannot.errors import ModelFileError
from spliceannot.hookspecs import hookimpl
from spliceannot.models import EnsembleModel

DIR_ENV = "SPLICEANNOT_OPENSPLICEAI_DIR"
SPECIES = ("mane", "mouse", "zebrafish", "honeybee", "arabidopsis")
FLANKS = (80, 400, 2000, 10000)
LEAKY_SLOPE = 0.1  # nn.LeakyReLU(0.1) in OpenSpliceAI's ResidualUnit
BN_EPS = 1e-5  # nn.BatchNorm1d's default, which OpenSpliceAI keeps


def network_config(flank: int):
    from spliceannot.models.network import NetworkConfig

    config = NetworkConfig.preset(flank)
    config.bn_eps = BN_EPS
    config.relu_slope = LEAKY_SLOPE
    return config


def rename(state: dict, n_units: int) -> dict:
    """OpenSpliceAI state_dict keys -> SpliceNet keys; refuses keys it does not know."""
    where = {}
    for i in range(n_units):
        where[i + i // 4] = ("unit", i)
        if (i + 1) % 4 == 0:
            where[i + i // 4 + 1] = ("skip", i)
    fixed = {"initial_conv": "stem", "initial_skip.conv": "stem_skip", "final_conv": "head"}
    parts = {"batchnorm1": "bn1", "batchnorm2": "bn2", "conv1": "conv1", "conv2": "conv2"}
    out = {}
    for key, tensor in state.items():
        module, _, leaf = key.rpartition(".")
        if module in fixed:
            out[f"{fixed[module]}.{leaf}"] = tensor
            continue
        m = re.fullmatch(r"residual_units\.(\d+)\.(\w+)", module)
        if not m or int(m.group(1)) not in where:
            raise ModelFileError(f"unexpected OpenSpliceAI key {key!r}")
        kind, i = where[int(m.group(1))]
        if kind == "skip" and m.group(2) == "conv":
            out[f"skips.{i}.{leaf}"] = tensor
        elif kind == "unit" and m.group(2) in parts:
            out[f"units.{i}.{parts[m.group(2)]}.{leaf}"] = tensor
        else:
            raise ModelFileError(f"unexpected OpenSpliceAI key {key!r}")
    return out


def load_checkpoint(path, flank: int):
    """One published ``.pt`` file as an eval-mode SpliceNet."""
    import torch

    from spliceannot.models.network import SpliceNet

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unreadable or not a plain state_dict: never unpickle objects
        raise ModelFileError(f"{path}: not a loadable OpenSpliceAI state_dict ({exc})") from None
    config = network_config(flank)
    net = SpliceNet(config)
    try:
        net.load_state_dict(rename(state, len(config.units)))
    except RuntimeError as exc:
        raise ModelFileError(f"{path}: does not fit the {flank} nt network ({exc})") from None
    return net.eval()


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

    def digest(self) -> str:
        import hashlib

        h = hashlib.sha256()
        for p in self.files():
            h.update(p.read_bytes())
        return "sha256:" + h.hexdigest()[:16]

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
