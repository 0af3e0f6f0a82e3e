"""``spliceannot train species|package``: genome to calibrated species model, model to plugin."""

import json
import re
from typing import Annotated, Optional

import typer

from ..errors import UsageError

Progress = Annotated[bool, typer.Option("--progress/--no-progress", help="progress bars")]
BUDGET = re.compile(r"^(\d+(?:\.\d+)?)\s*([smh]?)$")


def parse_budget(value):
    """'2h', '90m', '300s' or '300' -> seconds (None stays None)."""
    if value is None:
        return None
    m = BUDGET.match(value.strip().lower())
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"--budget {value!r}: a positive duration such as 2h, 90m or 600s")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _list(value):
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


def species(
    reference: Annotated[str, typer.Option("-R", "--reference", help="genome FASTA (plain, gzip or bgzip)")],
    annotation: Annotated[str, typer.Option("-A", "--annotation", help="GFF3 or GTF gene models")],
    out: Annotated[str, typer.Option("-o", "--out", help="output directory (data/, model/, report.json)")],
    name: Annotated[str, typer.Option("--species", help="species name recorded in the data and model")],
    test_chroms: Annotated[Optional[str], typer.Option(help="comma-separated held-out chromosomes (default SpliceAI's 1,3,5,7,9)")] = None,
    train_chroms: Annotated[Optional[str], typer.Option(help="comma-separated training chromosomes (default: all others)")] = None,
    val_fraction: Annotated[float, typer.Option(help="fraction of training genes for validation/calibration")] = 0.1,
    source: Annotated[str, typer.Option("--from", help="'spliceai', a checkpoint/ensemble dir or OpenSpliceAI .pt file/dir")] = "spliceai",
    budget: Annotated[Optional[str], typer.Option(help="wall-clock budget for the transfer, e.g. 2h, 45m")] = None,
    members: Annotated[int, typer.Option(help="ensemble members (member s starts from source network s mod N)")] = 5,
    trainable_units: Annotated[int, typer.Option(help="last residual units trained (+ skip projections and head)")] = 2,
    epochs: Annotated[int, typer.Option(help="epochs per member (fewer if the budget runs out)")] = 8,
    batch_size: Annotated[int, typer.Option(help="windows per step")] = 4,
    lr: Annotated[float, typer.Option(help="peak learning rate (AdamW, one cosine)")] = 5e-4,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    amp: Annotated[bool, typer.Option("--amp/--no-amp", help="bfloat16 autocast on CUDA")] = True,
    compare: Annotated[Optional[str], typer.Option(help="comma-separated extra models to evaluate beside it (checkpoints, OpenSpliceAI dirs)")] = None,
    progress: Progress = True,
):
    """Genome + annotation -> transferred, calibrated ensemble with a model card, in one run."""
    from ..training import fast_transfer, species as sp
    from ..training.reporting import print_table

    budget_s = parse_budget(budget)
    if device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"--device {device!r}: auto, cpu or cuda")
    fast_transfer.device_of(device)
    if not 0 <= val_fraction < 1:
        raise UsageError(f"--val-fraction must be in [0, 1), got {val_fraction}")
    for opt, v in (("--members", members), ("--epochs", epochs), ("--batch-size", batch_size)):
        if v < 1:
            raise UsageError(f"{opt} must be >= 1, got {v}")
    if trainable_units < 0 or lr <= 0:
        raise UsageError("--trainable-units must be >= 0 and --lr > 0")
    cfg = sp.SpeciesConfig(
        reference=reference, annotation=annotation, out=out, species=name,
        test_chroms=_list(test_chroms), train_chroms=_list(train_chroms),
        val_fraction=val_fraction, source=source, compare=_list(compare) or [],
        transfer={"members": members, "trainable_units": trainable_units, "epochs": epochs,
                  "batch_size": batch_size, "lr": lr, "budget_s": budget_s, "device": device,
                  "amp": amp})
    report = sp.run(cfg, progress=progress)
    t = report["test"]
    print_table(f"{name}: every test gene ({t['genes']} genes, {t['windows']} windows, "
                f"{t['positions']} positions)", sp.TABLE_HEADER, sp.table_rows(report))
    cal = report["calibration"]
    print_table(f"calibration: T = {cal['temperatures']} fitted on validation, reported on test",
                ["metric", "test before", "test after"],
                [[k, f"{cal['test_before'][k]:.5f}", f"{cal['test_after'][k]:.5f}"]
                 for k in ("nll", "ece", "ece_acceptor", "ece_donor")])
    speeds = [m["positions_per_s"] for m in report["transfer"]["members"]]
    typer.echo(json.dumps({"model": f"{out}/model", "seconds": report["seconds"],
                           "positions_per_s": speeds}))


def package(
    model: Annotated[str, typer.Argument(help="checkpoint or ensemble directory (e.g. OUT/model)")],
    name: Annotated[str, typer.Option("--name", help="backend name: what --model NAME will be")],
    out: Annotated[str, typer.Option("-o", "--out", help="directory to write the distribution to")],
    version: Annotated[str, typer.Option(help="distribution version")] = "1.0.0",
):
    """Write a pip-installable plugin distribution that registers MODEL as backend NAME."""
    from ..training.package import make_package

    path = make_package(model, name, out, version=version)
    typer.echo(f"wrote {path}; install with: pip install {path}")


def register(app: typer.Typer) -> None:
    app.command("species")(species)
    app.command("package")(package)
