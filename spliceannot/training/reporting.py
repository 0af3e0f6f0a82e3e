"""What training shows the user: rich progress bars and tables on stderr, PNG curves and plots.

matplotlib is imported only inside the plotting functions, with the non-interactive Agg backend.
"""

import json
import sys

from ..progress import Progress


class Bar(Progress):
    """Training's progress, ``update(advance, total=None, **fields)``: the one Progress that
    ``score`` and ``predict`` use (a bar on a terminal, a line every N seconds in logs)."""

    def __init__(self, label: str, total=None, enabled: bool = True, unit: str = ""):
        super().__init__(label, enabled=enabled, unit=unit or "steps", total=total)


def print_table(title: str, header: list, rows: list) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for h in header:
        table.add_column(h)
    for r in rows:
        table.add_row(*[str(c) for c in r])
    Console(file=sys.stdout).print(table)


def plot_curves(metrics_jsonl, png_path) -> None:
    """Training and validation loss (and validation top-k) per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in open(metrics_jsonl) if line.strip()]
    epochs = [r for r in rows if r.get("kind") == "epoch"]
    if not epochs:
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    e = [r["epoch"] for r in epochs]
    a.plot(e, [r["train_loss"] for r in epochs], "o-", label="train")
    a.plot(e, [r["val_loss"] for r in epochs], "o-", label="validation")
    a.set_xlabel("epoch")
    a.set_ylabel("loss")
    a.set_yscale("log")
    a.legend()
    for key, label in (("val_topk_acceptor", "acceptor"), ("val_topk_donor", "donor")):
        b.plot(e, [r.get(key, float("nan")) for r in epochs], "o-", label=label)
    b.set_xlabel("epoch")
    b.set_ylabel("validation top-k accuracy")
    b.set_ylim(0, 1)
    b.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)


def plot_reliability(curves: dict, png_path) -> bool:
    """``curves[label][class] = (mean predicted, observed frequency, count)`` per bin; False
    (no file) where matplotlib is not installed (a bare GPU machine): the numbers are in the
    report either way."""
    try:
        import matplotlib
    except ImportError:
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = sorted({c for per in curves.values() for c in per})
    fig, axes = plt.subplots(1, len(classes), figsize=(5 * len(classes), 4.5), squeeze=False)
    for ax, cls in zip(axes[0], classes):
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        for label, per in curves.items():
            conf, freq, count = per[cls]
            keep = [i for i, n in enumerate(count) if n > 0]
            ax.plot([conf[i] for i in keep], [freq[i] for i in keep], "o-", label=label)
        ax.set_title(f"{cls}: reliability")
        ax.set_xlabel("predicted probability")
        ax.set_ylabel("observed frequency")
        ax.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return True
