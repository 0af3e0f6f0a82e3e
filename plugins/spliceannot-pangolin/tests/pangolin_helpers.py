"""Constants and helpers of the Pangolin plugin's tests (a module of its own name, so the
repository's tests/conftest.py is never imported in its place)."""

import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
GOLDEN = HERE / "golden"
FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"
GTF = GOLDEN / "pangolin_chr16.gtf"
SHARED_WEIGHTS = REPO.parent / "shared" / "data" / "models" / "pangolin"


def weights_dir() -> pathlib.Path:
    """$SPLICEANNOT_PANGOLIN_DIR, else ../shared/data/models/pangolin."""
    return pathlib.Path(os.environ.get("SPLICEANNOT_PANGOLIN_DIR") or SHARED_WEIGHTS)


def ensure_registered():
    """The plugin in the plugin manager: by its entry point when installed (``pip install -e
    plugins/spliceannot-pangolin``), else registered here under the entry point's name."""
    import spliceannot_pangolin
    from spliceannot import registry
    from spliceannot.plugins import get_plugin_manager

    pm = get_plugin_manager()
    if not any(p is spliceannot_pangolin for p in pm.get_plugins()):
        pm.register(spliceannot_pangolin, name="pangolin")
        registry.reset()
    return pm


def tiny_state(seed: int, tissue_head: int, width: int = 4):
    """A random state dict in Pangolin's own key layout, 4 residual units (80 nt context)."""
    import torch

    g = torch.Generator().manual_seed(seed)

    def conv(out, inp, k):
        return {"weight": (torch.rand(out, inp, k, generator=g) - 0.5) * (2.0 / (inp * k) ** 0.5),
                "bias": (torch.rand(out, generator=g) - 0.5) * 0.2}

    def bn(c):
        return {"weight": 1 + 0.2 * (torch.rand(c, generator=g) - 0.5),
                "bias": 0.2 * (torch.rand(c, generator=g) - 0.5),
                "running_mean": 0.2 * (torch.rand(c, generator=g) - 0.5),
                "running_var": 0.5 + torch.rand(c, generator=g),
                "num_batches_tracked": torch.tensor(0)}

    parts = {"conv1": conv(width, 4, 1), "skip": conv(width, width, 1)}
    for i in range(4):
        for name, block in (("bn1", bn(width)), ("conv1", conv(width, width, 11)),
                            ("bn2", bn(width)), ("conv2", conv(width, width, 11))):
            parts[f"resblocks.{i}.{name}"] = block
    parts["convs.0"] = conv(width, width, 1)
    for n in range(1, 9):
        parts[f"conv_last{n}"] = conv(2 if n % 2 else 1, width, 1)
        if n == tissue_head:  # a head with some spread, so tissues and sites differ
            parts[f"conv_last{n}"]["weight"] *= 8
    return {f"{k}.{p}": v for k, block in parts.items() for p, v in block.items()}


def write_tiny_weights(folder: pathlib.Path) -> pathlib.Path:
    """The 12 tiny networks of :func:`tiny_state`, saved in ``folder`` under Pangolin's weight
    file names (each tissue's head differs, so tissues and sites differ)."""
    import torch

    from spliceannot_pangolin import weights

    for i, name in enumerate(weights.WEIGHT_FILES):
        torch.save(tiny_state(100 + i, 2 * (i // 3) + 1), folder / name)
    return folder
