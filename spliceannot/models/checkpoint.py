"""Self-describing model files: one network is a directory with safetensors weights and JSON metadata.

A *checkpoint* directory holds ``model.safetensors`` (the state dict, BatchNorm buffers included)
and ``model.json`` (``architecture`` = the :class:`NetworkConfig` dict, ``context``, ``species``,
``training`` summary, ``calibration``, ``metrics``, ``spliceannot_version``), so a model is rebuilt
from the directory alone. An *ensemble* directory holds ``ensemble.json`` listing member
checkpoint sub-directories; its outputs are the mean of the members' softmax outputs (as SpliceAI
averages its five models). Calibration temperatures live in the JSON of what was calibrated (the
ensemble's, else the single checkpoint's) and are applied when scoring. Nothing is ever unpickled.
"""

import json
import os
import pathlib
import time

from .. import __version__
from ..errors import ModelFileError
from . import EnsembleModel, Model, check_finite

FORMAT = "spliceannot-model"
FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
META = "model.json"
ENSEMBLE = "ensemble.json"


def _dir(path) -> pathlib.Path:
    """A checkpoint may be named by its directory or by either of its two files."""
    p = pathlib.Path(path)
    return p.parent if p.is_file() and p.name in (WEIGHTS, META, ENSEMBLE) else p


def is_checkpoint(path) -> bool:
    d = _dir(path)
    return (d / META).is_file() and (d / WEIGHTS).is_file()


def is_ensemble(path) -> bool:
    return (_dir(path) / ENSEMBLE).is_file()


def is_model(path) -> bool:
    return is_checkpoint(path) or is_ensemble(path)


def _read_json(path: pathlib.Path) -> dict:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: cannot read model metadata ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a {FORMAT} file (format={meta.get('format')!r})")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(f"{path}: format version {meta['format_version']} is newer than this "
                             f"spliceannot ({FORMAT_VERSION}); upgrade spliceannot")
    return meta


def _write_json(path: pathlib.Path, meta: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)


def read_meta(path) -> dict:
    """The metadata of a checkpoint (``model.json``) or ensemble (``ensemble.json``)."""
    d = _dir(path)
    if (d / ENSEMBLE).is_file():
        return _read_json(d / ENSEMBLE)
    if (d / META).is_file():
        return _read_json(d / META)
    raise ModelFileError(f"{path}: neither a checkpoint ({META} + {WEIGHTS}) nor an ensemble "
                         f"({ENSEMBLE})")


def write_meta(path, meta: dict) -> None:
    d = _dir(path)
    _write_json(d / (ENSEMBLE if (d / ENSEMBLE).is_file() else META), meta)


def new_meta(config, **fields) -> dict:
    """Metadata for one network: architecture and context first, then whatever the caller adds."""
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "checkpoint",
            "spliceannot_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "architecture": config.to_dict(), "context": config.context, "species": None,
            "training": {}, "calibration": None, "metrics": {}}
    meta.update(fields)
    return meta


def save(directory, net, meta: dict) -> pathlib.Path:
    """Write ``net``'s state dict and ``meta`` (its ``architecture`` is set from the net)."""
    from safetensors.torch import save_file

    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    meta = dict(meta, architecture=net.config.to_dict(), context=net.config.context)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(d / (WEIGHTS + ".tmp")), metadata={"format": "pt"})
    os.replace(d / (WEIGHTS + ".tmp"), d / WEIGHTS)
    _write_json(d / META, meta)
    return d


def load_network(path):
    """(SpliceNet in eval mode, metadata) from a checkpoint directory."""
    from safetensors.torch import load_file

    from .network import NetworkConfig, SpliceNet

    d = _dir(path)
    if not is_checkpoint(d):
        raise ModelFileError(f"{path}: not a checkpoint (needs {META} and {WEIGHTS})")
    meta = _read_json(d / META)
    try:
        state = load_file(str(d / WEIGHTS))
    except Exception as exc:  # safetensors raises its own error type for a pickle or a cut file
        raise ModelFileError(f"{path}: {WEIGHTS} is not a complete safetensors file "
                             f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    check_finite(state, d / WEIGHTS)
    try:
        config = NetworkConfig(**meta["architecture"])
        net = SpliceNet(config)
        net.load_state_dict(state, strict=True)
    except (KeyError, TypeError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: weights do not fit the stored architecture ({exc})") from None
    return net.eval(), meta


def save_ensemble(directory, members: list, meta: dict = None) -> pathlib.Path:
    """Write ``ensemble.json`` naming member checkpoint directories (relative to ``directory``)."""
    d = pathlib.Path(directory)
    contexts = set()
    for m in members:
        if not is_checkpoint(d / m):
            raise ModelFileError(f"ensemble member {d / m} is not a checkpoint")
        contexts.add(read_meta(d / m)["context"])
    if len(contexts) != 1:
        raise ModelFileError(f"ensemble members have different contexts: {sorted(contexts)}")
    first = read_meta(d / members[0])
    out = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "ensemble",
           "spliceannot_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
           "members": [str(m) for m in members], "context": contexts.pop(),
           "species": first.get("species"), "training": first.get("training", {}),
           "calibration": None, "metrics": {}}
    out.update(meta or {})
    _write_json(d / ENSEMBLE, out)
    return d


def member_dirs(path) -> list:
    d = _dir(path)
    if is_ensemble(d):
        return [d / m for m in read_meta(d)["members"]]
    if is_checkpoint(d):
        return [d]
    raise ModelFileError(f"{path}: not a {FORMAT} checkpoint or ensemble directory")


def load_networks(path) -> list:
    return [load_network(m)[0] for m in member_dirs(path)]


def temperatures(path):
    """The calibration temperatures stored in the model (per class or one), or None."""
    cal = read_meta(path).get("calibration") or {}
    t = cal.get("temperatures")
    return None if t is None else [float(x) for x in t]


class CheckpointModel(EnsembleModel):
    """A checkpoint or ensemble directory as a model backend; calibration applied on predict."""

    def __init__(self, path, name: str = None):
        super().__init__()
        self.path = _dir(path)
        meta = read_meta(self.path)
        self.meta = meta
        self.name = name or str(path)
        self.context = int(meta["context"])
        species = meta.get("species") or "unknown species"
        self.description = f"spliceannot checkpoint ({species}, {meta.get('kind')}) at {self.path}"
        t = temperatures(self.path)
        self.temperatures = None if t is None else (t * 3 if len(t) == 1 else t)

    def load_networks(self) -> list:
        return load_networks(self.path)

    def weight_files(self) -> list:
        """Each member's weights and metadata (its calibration temperatures change outputs),
        after the ensemble's own file where there is one."""
        files = [self.path / ENSEMBLE] if is_ensemble(self.path) else []
        for d in member_dirs(self.path):
            files += [d / META, d / WEIGHTS]
        return files

    def info(self) -> dict:
        info = super().info()
        info.update(path=str(self.path), species=self.meta.get("species"),
                    members=len(member_dirs(self.path)), temperatures=self.temperatures,
                    metrics=self.meta.get("metrics") or {})
        return info


class NamedCheckpoint(Model):  # registered by name: the built-in search path, packaged models
    """A checkpoint found in a models directory, opened lazily on first ``predict``."""

    def __init__(self, name: str, path: pathlib.Path, meta: dict = None):
        self.name = name
        self.path = path
        meta = read_meta(path) if meta is None else meta
        self.context = int(meta.get("context", 0))
        self.description = f"spliceannot checkpoint ({meta.get('species') or 'unknown species'})" \
                           f" at {path}"
        self._model = None

    def model(self):
        if self._model is None:
            self._model = CheckpointModel(self.path, name=self.name)
        return self._model

    def predict(self, x):
        return self.model().predict(x)

    # What the fast engine takes apart, from the opened checkpoint.
    def networks(self) -> list:
        return self.model().networks()

    def inference_nets(self) -> list:
        return self.model().inference_nets()

    @property
    def temperatures(self):
        return self.model().temperatures

    def weight_files(self) -> list:
        return self.model().weight_files()

    def info(self) -> dict:
        return self.model().info()
