"""Pangolin's weight files: where they are found (set once), and each read as one SpliceNet.

The 12 files Pangolin's CLI loads, ``final.{1,2,3}.{0,2,4,6}.3.v2`` (GPL-3.0, not bundled), are
found in this order: ``--model DIR``; ``$SPLICEANNOT_PANGOLIN_DIR`` (for CI and one-off runs);
the folder that ``spliceannot pangolin install-weights DIR`` recorded once in
``$XDG_CONFIG_HOME/spliceannot/pangolin.toml`` (``~/.config/...`` by default), as git and pip
keep their per-user settings; with ``--copy`` the files are first copied to
``$XDG_DATA_HOME/spliceannot/pangolin``.

Each file holds Pangolin's whole network with 8 heads; scoring reads one: file
``final.k.{2t}.3.v2`` gives tissue t (heart, liver, brain, testis) through class 1 of the 2-class
softmax head ``conv_last{2t + 1}`` (channel 3 t + 1 of the CLI's concatenated outputs), the
splice-site probability. The sigmoid usage heads (``conv_last{2t + 2}``) are not read: the CLI
does not score with them.
"""

import os
import pathlib

TISSUES = ("heart", "liver", "brain", "testis")
# Tissue-major, as Pangolin loads them: models[3 t + k - 1] is final.k.{2t}.3.v2.
WEIGHT_FILES = tuple(f"final.{k}.{2 * t}.3.v2" for t in range(4) for k in (1, 2, 3))
SOURCE = "https://github.com/tkzeng/Pangolin (pangolin/models/)"
LICENSE = "GPL-3.0"
BN_EPS = 1e-5  # nn.BatchNorm1d's default, which Pangolin keeps
DIR_ENV = "SPLICEANNOT_PANGOLIN_DIR"
CONFIG_NAME = "pangolin.toml"
HOW_TO_GET = ("get them once with 'git clone https://github.com/tkzeng/Pangolin' (the files are "
              "in Pangolin/pangolin/models/), then run 'spliceannot pangolin install-weights "
              "Pangolin/pangolin/models'")


def config_path() -> pathlib.Path:
    """``$XDG_CONFIG_HOME/spliceannot/pangolin.toml`` (``~/.config`` when unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or pathlib.Path.home() / ".config"
    return pathlib.Path(base) / "spliceannot" / CONFIG_NAME


def configured_dir():
    """The folder set once by ``install-weights``, or None."""
    import tomllib

    path = config_path()
    try:
        with open(path, "rb") as handle:
            found = tomllib.load(handle).get("weights")
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        from spliceannot.errors import UsageError

        raise UsageError(f"{path}: unreadable ({exc}); rerun 'spliceannot pangolin "
                         f"install-weights DIR'") from None
    return pathlib.Path(found) if isinstance(found, str) and found else None


def find_dir() -> pathlib.Path:
    """Where ``--model pangolin`` reads its weights: the environment, else the config file."""
    from spliceannot.errors import ModelFileError

    root = os.environ.get(DIR_ENV) or configured_dir()
    if not root:
        raise ModelFileError(f"pangolin: no weights set up: Pangolin's 12 weight files "
                             f"final.{{1,2,3}}.{{0,2,4,6}}.3.v2 are not bundled ({LICENSE}); "
                             f"{HOW_TO_GET} (or give --model DIR)")
    return pathlib.Path(root)


def missing(folder: pathlib.Path) -> list:
    return [f for f in WEIGHT_FILES if not (folder / f).is_file()]


def files(folder: pathlib.Path) -> list:
    """The 12 files in Pangolin's order; one line naming what is missing and how to get it."""
    from spliceannot.errors import ModelFileError

    lacking = missing(folder)
    if lacking:
        raise ModelFileError(f"pangolin: {folder} lacks {len(lacking)} of the 12 weight files "
                             f"({', '.join(lacking[:3])}{', ...' if len(lacking) > 3 else ''}); "
                             f"they are not bundled ({LICENSE}, {SOURCE}): {HOW_TO_GET}")
    return [folder / f for f in WEIGHT_FILES]


def locate(given: pathlib.Path) -> pathlib.Path:
    """The folder holding the files: ``given`` itself, or a Pangolin clone's ``pangolin/models``."""
    for folder in (given, given / "pangolin" / "models", given / "models"):
        if folder.is_dir() and not missing(folder):
            return folder
    return given


def data_dir() -> pathlib.Path:
    """Where ``install-weights --copy`` puts the files: ``$XDG_DATA_HOME/spliceannot/pangolin``
    (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or pathlib.Path.home() / ".local" / "share"
    return pathlib.Path(base) / "spliceannot" / "pangolin"


def install(given, copy: bool = False) -> pathlib.Path:
    """Record ``given`` (or the clone's models folder in it) as the weights of ``--model
    pangolin``: checked to hold the 12 files, written to :func:`config_path` whole or not at all.
    ``copy``: the files are copied to :func:`data_dir` first, so the clone can go."""
    import shutil

    from spliceannot.errors import UsageError

    folder = locate(pathlib.Path(given).expanduser().resolve())
    if not folder.is_dir():
        raise UsageError(f"install-weights {given}: no such folder; {HOW_TO_GET}")
    for path in files(folder):
        read_state(path)  # a truncated download fails here, once, not in every later run
    if copy and folder != data_dir().resolve():
        target = data_dir()
        target.mkdir(parents=True, exist_ok=True)
        for path in files(folder):
            tmp = target / f".{path.name}.{os.getpid()}.tmp"
            shutil.copyfile(path, tmp)
            os.replace(tmp, target / path.name)
        folder = target.resolve()
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    quoted = str(folder).replace("\\", "\\\\").replace('"', '\\"')
    tmp.write_text("# Written by 'spliceannot pangolin install-weights': where --model pangolin "
                   "reads Pangolin's weights.\n"
                   f'weights = "{quoted}"\n')
    os.replace(tmp, path)
    return folder


# ---- reading one file as one network -------------------------------------------------------------


def network(context: int = 10000, width: int = 32, classes: int = 2):
    """A SpliceNet shaped as one Pangolin network read for one head (``classes`` 2: a tissue's
    splice-site softmax), random weights. Pangolin's are 10,000 nt and 32
    wide; smaller presets are the same layout cut short (tests use them)."""
    from torch import nn

    from spliceannot.plugin import NetworkConfig, SpliceNet

    config = NetworkConfig.preset(context, width)
    config.bn_eps = BN_EPS
    net = SpliceNet(config)
    net.head = nn.Conv1d(config.width, classes, 1)
    return net.eval()


def _our_keys(state: dict) -> dict:
    """Pangolin's key names -> SpliceNet's: conv1/skip are the stem, resblocks the units, convs[j]
    the skip conv after unit 4j + 3 (the heads are chosen by the caller)."""
    name = {"conv1": "stem", "skip": "stem_skip"}
    out = {}
    for key, value in state.items():
        first, rest = key.split(".", 1)
        if first.startswith("conv_last"):
            continue
        if first == "resblocks":
            out["units." + rest] = value
        elif first == "convs":
            j, tail = rest.split(".", 1)
            out[f"skips.{4 * int(j) + 3}.{tail}"] = value
        else:
            out[f"{name[first]}.{rest}"] = value
    return out


def read_state(path: pathlib.Path) -> dict:
    import torch

    from spliceannot.errors import ModelFileError

    from spliceannot.plugin import check_finite

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: one line, the file named
        raise ModelFileError(f"{path}: not a Pangolin state dict ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise ModelFileError(f"{path}: not a Pangolin state dict")
    check_finite(state, path)  # NaN weights would leave every record unscored
    return state


def score_head(path: pathlib.Path) -> int:
    """The head CLI scoring reads from this file: final.k.{2t} -> conv_last{2t + 1}."""
    return 2 * (WEIGHT_FILES.index(path.name) // 3) + 1


CONTEXTS = {4: 80, 8: 400, 12: 2000, 16: 10000}  # residual units -> context (SpliceAI-10k's)


def _units(state: dict) -> int:
    return len({k.split(".")[1] for k in state if k.startswith("resblocks.")})


def context_of(path: pathlib.Path) -> int:
    """The context of the network a file holds (10,000 for Pangolin's)."""
    from spliceannot.errors import ModelFileError

    units = _units(read_state(path))
    if units not in CONTEXTS:
        raise ModelFileError(f"{path}: not a Pangolin network ({units} residual units)")
    return CONTEXTS[units]


def load_file(path: pathlib.Path, head: int = None):
    """One file as a SpliceNet ending in ``conv_last{head}`` (default: the scoring head)."""
    from spliceannot.errors import ModelFileError

    state = read_state(path)
    head = score_head(path) if head is None else head
    units = _units(state)
    if units not in CONTEXTS or f"conv_last{head}.weight" not in state:
        raise ModelFileError(f"{path}: not a Pangolin network ({units} residual units)")
    weight = state[f"conv_last{head}.weight"]
    net = network(CONTEXTS[units], state["conv1.weight"].shape[0], weight.shape[0])
    ours = _our_keys(state)
    ours["head.weight"] = weight
    ours["head.bias"] = state[f"conv_last{head}.bias"]
    net.load_state_dict(ours)
    return net.eval()
