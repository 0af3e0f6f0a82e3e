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

from ..errors import ModelFileError, UsageError
from ..models import EnsembleModel
from ..models.network import PRESET_UNITS, NetworkConfig, SpliceNet


def source_networks(source) -> list:
    """Fresh copies of every network of a source, found through the registry as ``--model`` is:
    a registered name ('spliceai', a plugin's backend), else a path a backend claims (a
    checkpoint or ensemble directory, OpenSpliceAI .pt files)."""
    from .. import registry

    try:
        model = registry.model(str(source))
    except UsageError as exc:
        raise ModelFileError(f"transfer source {source!r}: {exc}") from None
    if not isinstance(model, EnsembleModel):
        raise ModelFileError(f"transfer source {source!r}: model {model.name!r} holds no "
                             f"SpliceNet networks to start from")
    return model.load_networks()  # not the model's cached, frozen inference copies


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
