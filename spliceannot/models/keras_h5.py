"""Read a Keras 2 HDF5 SpliceAI model with h5py into a :class:`SpliceNet` (no TensorFlow, no Keras).

The file's ``model_config`` is the functional graph; layer names carry creation counters but the
list is not in creation order, so the loader walks the graph from the input: stem conv, its skip
conv, then each residual unit as BN -> ReLU -> Conv -> BN -> ReLU -> Conv -> Add, a 1x1 conv
hanging off a unit output being a skip conv, then Cropping1D and the softmax head. Conv kernels are
stored (width, in, out) and become torch's (out, in, width); batch-norm uses the stored gamma,
beta, moving mean and variance and the stored epsilon.
"""

import json

import numpy as np
import torch

from ..errors import ModelFileError
from . import check_finite
from .network import NetworkConfig, SpliceNet


def _graph(cfg):
    layers = {}
    consumers = {}
    for layer in cfg["config"]["layers"]:
        name = layer["name"]
        inputs = [n[0] for node in layer.get("inbound_nodes", []) for n in node]
        layers[name] = (layer["class_name"], layer["config"], inputs)
        for src in inputs:
            consumers.setdefault(src, []).append(name)
    return layers, consumers


def _one(layers, consumers, src, cls, pred=lambda c: True):
    found = [n for n in consumers.get(src, []) if layers[n][0] == cls and pred(layers[n][1])]
    return found[0] if len(found) == 1 else None


def parse(path):
    """Return (NetworkConfig, {module-path: numpy array}) for a SpliceAI Keras HDF5 file."""
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise ModelFileError(f"{path}: not a readable HDF5 file ({exc})") from None
    with handle as f:
        try:
            cfg = json.loads(f.attrs["model_config"])
            weights = f["model_weights"]
        except KeyError as exc:
            raise ModelFileError(f"{path}: not a Keras HDF5 model (missing {exc})") from None
        layers, consumers = _graph(cfg)

        def arrays(name):
            group = weights[name]
            return {w.decode().split("/")[-1].split(":")[0]: np.asarray(group[w])
                    for w in group.attrs["weight_names"]}

        def conv(name, prefix, out):
            a = arrays(name)
            out[f"{prefix}.weight"] = np.ascontiguousarray(a["kernel"].transpose(2, 1, 0))
            out[f"{prefix}.bias"] = a["bias"]
            return layers[name][1]

        def bn(name, prefix, out):
            a = arrays(name)
            out[f"{prefix}.weight"] = a["gamma"]
            out[f"{prefix}.bias"] = a["beta"]
            out[f"{prefix}.running_mean"] = a["moving_mean"]
            out[f"{prefix}.running_var"] = a["moving_variance"]
            return layers[name][1]["epsilon"]

        try:
            state = {}
            inp = next(n for n, (c, _, _) in layers.items() if c == "InputLayer")
            stem = _one(layers, consumers, inp, "Conv1D")
            conv(stem, "stem", state)
            width = layers[stem][1]["filters"]
            skip = _one(layers, consumers, stem, "Conv1D")
            conv(skip, "stem_skip", state)
            units, skips, eps = [], [], None
            x = stem
            while True:
                b1 = _one(layers, consumers, x, "BatchNormalization")
                if b1 is None:
                    break
                i = len(units)
                eps = bn(b1, f"units.{i}.bn1", state)
                a1 = _one(layers, consumers, b1, "Activation")
                c1 = _one(layers, consumers, a1, "Conv1D")
                c1cfg = conv(c1, f"units.{i}.conv1", state)
                b2 = _one(layers, consumers, c1, "BatchNormalization")
                bn(b2, f"units.{i}.bn2", state)
                a2 = _one(layers, consumers, b2, "Activation")
                c2 = _one(layers, consumers, a2, "Conv1D")
                conv(c2, f"units.{i}.conv2", state)
                add = _one(layers, consumers, c2, "Add")
                if add is None or set(layers[add][2]) != {c2, x}:
                    raise ModelFileError(f"{path}: residual unit {i} is not x + f(x)")
                units.append([c1cfg["kernel_size"][0], c1cfg["dilation_rate"][0]])
                dense = _one(layers, consumers, add, "Conv1D", lambda c: c["kernel_size"] == [1])
                if dense is not None:
                    conv(dense, f"skips.{i}", state)
                    skips.append(i)
                x = add
            crop = next(n for n, (c, _, _) in layers.items() if c == "Cropping1D")
            head = _one(layers, consumers, crop, "Conv1D")
            if layers[head][1].get("activation") != "softmax":
                raise ModelFileError(f"{path}: the output layer is not a softmax")
            conv(head, "head", state)
        except (StopIteration, KeyError, TypeError) as exc:
            raise ModelFileError(f"{path}: not a SpliceAI-layout Keras model ({exc!r})") from None

    config = NetworkConfig(width=width, units=units, bn_eps=float(eps))
    expected = [i for i in range(len(units)) if config.skip_after(i)]
    if skips != expected:
        raise ModelFileError(f"{path}: skip convs after units {skips}, expected {expected}")
    crop_width = layers[crop][1]["cropping"]
    if 2 * crop_width[0] != config.context:
        raise ModelFileError(f"{path}: cropping {crop_width} does not match context {config.context}")
    return config, state


def load(path) -> SpliceNet:
    """A SpliceNet in eval mode holding the weights of one Keras HDF5 file."""
    config, state = parse(path)
    check_finite(state, path)
    net = SpliceNet(config)
    missing = net.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32))
                                   for k, v in state.items()}, strict=False)
    # BatchNorm's num_batches_tracked is the only key Keras has no counterpart for.
    if missing.unexpected_keys or any("num_batches_tracked" not in k for k in missing.missing_keys):
        raise ModelFileError(f"{path}: weights do not fit the network: {missing}")
    return net.eval()
