"""OpenSpliceAI's published PyTorch state dicts read into a SpliceNet (no OpenSpliceAI import).

Its residual units are SpliceAI's with LeakyReLU(0.1) and torch's BatchNorm epsilon; the
architecture (width, units, kernels) is read off the file, dilations are SpliceAI's.
"""

import pathlib

from ..errors import ModelFileError
from . import check_finite
from .network import PRESET_UNITS, NetworkConfig, SpliceNet

# OpenSpliceAI stores no dilations; its models use SpliceAI's (see ../shared/data/SOURCES.md §3).
OPENSPLICEAI_SLOPE = 0.1  # LeakyReLU(0.1) in its residual units
OPENSPLICEAI_EPS = 1e-5  # torch's BatchNorm default


def load(path) -> SpliceNet:
    """One OpenSpliceAI state-dict file as a SpliceNet (eval mode)."""
    import torch

    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # an unsafe or corrupt pickle is refused by weights_only
        raise ModelFileError(f"{path}: not a loadable OpenSpliceAI state dict ({exc})") from None
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: not an OpenSpliceAI state dict")
    check_finite(state, path)
    if "initial_conv.weight" not in state:
        raise ModelFileError(f"{path}: no initial_conv.weight; not an OpenSpliceAI model")
    width = state["initial_conv.weight"].shape[0]
    entries = sorted({int(k.split(".")[1]) for k in state if k.startswith("residual_units.")})
    mapped = {"stem.weight": state["initial_conv.weight"], "stem.bias": state["initial_conv.bias"],
              "stem_skip.weight": state["initial_skip.conv.weight"],
              "stem_skip.bias": state["initial_skip.conv.bias"],
              "head.weight": state["final_conv.weight"], "head.bias": state["final_conv.bias"]}
    kernels, unit = [], 0
    for j in entries:  # residual units interleaved with a Skip after every 4th
        prefix = f"residual_units.{j}."
        if prefix + "conv1.weight" in state:
            kernels.append(state[prefix + "conv1.weight"].shape[2])
            for ours, theirs in (("bn1", "batchnorm1"), ("bn2", "batchnorm2"),
                                 ("conv1", "conv1"), ("conv2", "conv2")):
                for k, v in state.items():
                    if k.startswith(prefix + theirs + "."):
                        mapped[f"units.{unit}.{ours}.{k.split('.')[-1]}"] = v
            unit += 1
        else:
            mapped[f"skips.{unit - 1}.weight"] = state[prefix + "conv.weight"]
            mapped[f"skips.{unit - 1}.bias"] = state[prefix + "conv.bias"]
    preset = next((u for u in PRESET_UNITS.values() if len(u) == len(kernels)), None)
    if preset is None or [k for k, _ in preset] != kernels:
        raise ModelFileError(f"{path}: {len(kernels)} residual units with kernels {kernels} match "
                             f"no SpliceAI architecture")
    config = NetworkConfig(width=width, units=[list(u) for u in preset],
                           bn_eps=OPENSPLICEAI_EPS, relu_slope=OPENSPLICEAI_SLOPE)
    net = SpliceNet(config)
    try:
        net.load_state_dict(mapped, strict=True)
    except RuntimeError as exc:
        raise ModelFileError(f"{path}: weights do not fit the mapped network ({exc})") from None
    return net.eval()


def files(path) -> list:
    """The .pt/.pth files of a directory, or the one file given."""
    p = pathlib.Path(path)
    files = sorted(p.glob("*.pt")) + sorted(p.glob("*.pth")) if p.is_dir() else [p]
    if not files:
        raise ModelFileError(f"{path}: no OpenSpliceAI .pt files")
    return files
