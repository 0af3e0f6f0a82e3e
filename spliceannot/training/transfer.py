"""transfer: initial weights from another model, and freezing all but the last k residual units.

Sources: ``spliceai`` (the original human Keras models, read by the same loader as the
``spliceai`` backend; seed s starts from member s mod 5, so an ensemble of seeds starts from
different human networks), a spliceannot checkpoint or ensemble directory, or OpenSpliceAI
``.pt`` state dicts (a file or a directory of them). A source with more context than asked for
is cut to a prefix of its residual units (SpliceAI's 80/400/2000 architectures are prefixes of the
10k one). OpenSpliceAI files are read with ``torch.load(weights_only=True)``: tensors only, never
arbitrary pickles.
"""

import pathlib

from ..errors import ModelFileError
from ..models.network import PRESET_UNITS, NetworkConfig, SpliceNet

# OpenSpliceAI stores no dilations; its models use SpliceAI's (see ../shared/data/SOURCES.md §3).
OPENSPLICEAI_SLOPE = 0.1  # LeakyReLU(0.1) in its residual units
OPENSPLICEAI_EPS = 1e-5  # torch's BatchNorm default


def load_openspliceai(path) -> SpliceNet:
    """One OpenSpliceAI state-dict file as a SpliceNet (eval mode)."""
    import torch

    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # an unsafe or corrupt pickle is refused by weights_only
        raise ModelFileError(f"{path}: not a loadable OpenSpliceAI state dict ({exc})") from None
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


def openspliceai_files(path) -> list:
    p = pathlib.Path(path)
    files = sorted(p.glob("*.pt")) + sorted(p.glob("*.pth")) if p.is_dir() else [p]
    if not files:
        raise ModelFileError(f"{path}: no OpenSpliceAI .pt files")
    return files


def source_networks(source) -> list:
    """Every network of a source: 'spliceai', a checkpoint/ensemble directory or OpenSpliceAI."""
    from ..models import checkpoint

    if source == "spliceai":
        from ..models import keras_h5, spliceai_package

        return [keras_h5.load(p) for p in spliceai_package.model_paths()]
    if checkpoint.is_model(source):
        return checkpoint.load_networks(source)
    p = pathlib.Path(source)
    if p.exists():
        return [load_openspliceai(f) for f in openspliceai_files(p)]
    raise ModelFileError(f"transfer source {source!r}: not 'spliceai', a checkpoint or "
                         f"ensemble directory, or OpenSpliceAI .pt file(s)")


def cut_to_context(net: SpliceNet, context: int) -> SpliceNet:
    """The prefix of ``net``'s residual units with total context ``context`` (same weights)."""
    if net.config.context == context:
        return net
    units = net.config.units
    for n in range(1, len(units) + 1):
        cfg = NetworkConfig(width=net.config.width, units=[list(u) for u in units[:n]],
                            skip_every=net.config.skip_every, bn_eps=net.config.bn_eps,
                            relu_slope=net.config.relu_slope)
        if cfg.context == context:
            small = SpliceNet(cfg)
            state = net.state_dict()
            small.load_state_dict({k: state[k] for k in small.state_dict()}, strict=True)
            return small
    raise ModelFileError(f"cannot cut a {net.config.context}-context network to {context}")


def initial_network(source, seed: int, context: int) -> SpliceNet:
    nets = source_networks(source)
    return cut_to_context(nets[seed % len(nets)], context)


def freeze(net: SpliceNet, trainable_units: int = None) -> list:
    """Freeze everything before the last ``trainable_units`` residual units (None or 0 for
    'freeze nothing' is None; 0 trains only the head); returns the frozen modules, whose
    BatchNorm statistics the trainer keeps in eval mode."""
    if trainable_units is None:
        return []
    n = len(net.units)
    first = max(0, n - trainable_units)
    frozen = [net.stem, net.stem_skip] + [net.units[i] for i in range(first)]
    frozen += [net.skips[k] for k in net.skips if int(k) < first]
    for module in frozen:
        for p in module.parameters():
            p.requires_grad_(False)
    return frozen


def convert(source, out, species: str = None):
    """Write a source's networks as a checkpoint (one network) or ensemble (``member-i``)."""
    from ..models import checkpoint

    nets = source_networks(source)
    origin = {"converted_from": str(source)}
    if len(nets) == 1:
        return checkpoint.save(out, nets[0], checkpoint.new_meta(nets[0].config, species=species,
                                                                 training=origin))
    names = []
    for i, net in enumerate(nets):
        names.append(f"member-{i}")
        checkpoint.save(pathlib.Path(out) / names[-1],
                        net, checkpoint.new_meta(net.config, species=species, training=origin))
    return checkpoint.save_ensemble(out, names, {"training": origin, "species": species})
