"""``spliceannot train create-data|train|transfer|calibrate|evaluate|convert``: the training subsystem.

Each command validates its options and calls one function of :mod:`spliceannot.training`.
torch and h5py are imported inside the commands, so ``--help`` stays instant.
"""

import json
import pathlib
from typing import Annotated, Optional

import typer

from ..errors import UsageError

app = typer.Typer(name="train", no_args_is_help=True,
                  help="Make training data, train, transfer, calibrate and evaluate models.")

Progress = Annotated[bool, typer.Option("--progress/--no-progress", help="progress bars")]


def _chroms(value):
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


def _floats(value, n=None, what="values"):
    if not value:
        return None
    try:
        out = [float(v) for v in value.split(",")]
    except ValueError:
        raise UsageError(f"{what}: expected comma-separated numbers, got {value!r}") from None
    if n is not None and len(out) != n:
        raise UsageError(f"{what}: expected {n} numbers, got {len(out)}")
    return out


@app.command("create-data")
def create_data(
    reference: Annotated[str, typer.Option("-R", "--reference", help="FASTA (plain, gzip or bgzip)")],
    annotation: Annotated[str, typer.Option("-A", "--annotation", help="GTF, GFF3 or SpliceAI table (.txt)")],
    out: Annotated[str, typer.Option("-o", "--out", help="output directory for train/val/test.h5")],
    context: Annotated[int, typer.Option(help="flanking context stored: 80, 400, 2000 or 10000")] = 10000,
    window: Annotated[int, typer.Option(help="labelled positions per window")] = 5000,
    test_chroms: Annotated[Optional[str], typer.Option(help="comma-separated test chromosomes (default SpliceAI's 1,3,5,7,9)")] = None,
    train_chroms: Annotated[Optional[str], typer.Option(help="comma-separated training chromosomes (default: all others, no organelles)")] = None,
    val_fraction: Annotated[float, typer.Option(help="fraction of training genes held out for validation")] = 0.1,
    all_biotypes: Annotated[bool, typer.Option("--all-biotypes", help="keep non-coding transcripts too")] = False,
    species: Annotated[Optional[str], typer.Option(help="species name recorded in the data and models")] = None,
    progress: Progress = True,
):
    """Reference + annotation -> chunked, compressed HDF5 windows split by chromosome."""
    from ..training import dataset
    from ..training.reporting import Bar, print_table

    if context not in (80, 400, 2000, 10000):
        raise UsageError(f"--context must be 80, 400, 2000 or 10000, got {context}")
    with Bar("create-data", enabled=progress, unit="genes") as bar:
        report = dataset.create_data(reference, annotation, out, context=context, window=window,
                                     test_chroms=_chroms(test_chroms),
                                     train_chroms=_chroms(train_chroms), val_fraction=val_fraction,
                                     coding_only=not all_biotypes, species=species,
                                     progress=lambda n: bar.update(n))
    rows = [[s, v["genes"], v["windows"], v["positions"], v["acceptors"], v["donors"]]
            for s, v in report["splits"].items()]
    print_table(f"create-data -> {out}", ["split", "genes", "windows", "positions", "acceptors",
                                          "donors"], rows)


# Options of ``train`` and ``transfer`` that are not TrainConfig fields as given: every other
# parameter of those two commands is passed to TrainConfig under its own name.
RUN_OPTIONS = ("preset", "seeds", "resume", "progress")


def _train_config(opts: dict, preset, resume: bool):
    """TrainConfig from the command's parameters (named as its fields), parsed and checked."""
    from ..training import trainer

    if resume:
        cfg = trainer.saved_config(opts["out"])
        cfg.halt_after_steps = None
        return cfg
    if preset:
        if preset not in trainer.PRESETS:
            raise UsageError(f"--preset {preset!r}: choose {', '.join(trainer.PRESETS)}")
        p = trainer.PRESETS[preset]
        opts["context"], opts["width"] = p.get("context", opts["context"]), p.get("width", opts["width"])
        opts["extra"] = {"preset": preset}
    if opts["schedule"] not in ("multistep", "cosine", "exponential", "constant"):
        raise UsageError(f"--schedule {opts['schedule']!r}: multistep, cosine, exponential or constant")
    if opts["loss"] not in ("ce", "focal"):
        raise UsageError(f"--loss {opts['loss']!r}: ce or focal")
    if "milestones" in opts:
        opts["milestones"] = [int(m) for m in _floats(opts["milestones"]) or []] or None
    if "class_weights" in opts:
        opts["class_weights"] = _floats(opts["class_weights"], 3, "--class-weights")
    return trainer.TrainConfig(**opts)


def _train(params: dict):
    """Run ``train`` or ``transfer`` from the command's parameters (``locals()``)."""
    from ..training import trainer
    from ..training.reporting import print_table

    opts = dict(params)
    preset, seeds, resume, progress = (opts.pop(k, None) for k in RUN_OPTIONS)
    cfg = _train_config(opts, preset, resume)
    seeds = ([cfg.seed] if not seeds else seeds) if resume else seeds
    if isinstance(seeds, str):
        try:
            seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        except ValueError:
            raise UsageError(f"--seeds: expected comma-separated integers, got {seeds!r}") from None
    else:
        seed_list = list(seeds or [0])
    states = trainer.train_ensemble(cfg, seed_list, resume=resume, progress=progress)
    rows = [[s, st["epoch"], st["step"], f"{st.get('best_val_loss') or float('nan'):.5f}",
             st.get("last_metrics", {}).get("positions_per_s", "")]
            for s, st in zip(seed_list, states)]
    print_table(f"trained -> {cfg.out}", ["seed", "epochs", "steps", "best val loss",
                                          "positions/s"], rows)


@app.command("train")
def train(
    data: Annotated[Optional[str], typer.Option("-d", "--data", help="create-data output directory")] = None,
    out: Annotated[str, typer.Option("-o", "--out", help="checkpoint (or ensemble) directory")] = ...,
    preset: Annotated[Optional[str], typer.Option(help="tiny | spliceai-80 | spliceai-400 | spliceai-2k | spliceai-10k")] = None,
    context: Annotated[int, typer.Option(help="network context: 80, 400, 2000, 10000")] = 10000,
    width: Annotated[int, typer.Option(help="channels per layer")] = 32,
    epochs: Annotated[int, typer.Option()] = 10,
    batch_size: Annotated[int, typer.Option(help="windows per step")] = 18,
    lr: Annotated[float, typer.Option(help="peak learning rate (AdamW)")] = 1e-3,
    weight_decay: Annotated[float, typer.Option()] = 0.01,
    schedule: Annotated[str, typer.Option(help="multistep | cosine | exponential | constant")] = "multistep",
    gamma: Annotated[float, typer.Option(help="multistep/exponential decay factor")] = 0.5,
    milestones: Annotated[Optional[str], typer.Option(help="multistep epochs, e.g. 6,7,8,9")] = None,
    restart_epochs: Annotated[int, typer.Option(help="cosine: epochs per warm restart")] = 2,
    warmup_steps: Annotated[int, typer.Option()] = 0,
    loss: Annotated[str, typer.Option(help="ce | focal")] = "ce",
    focal_gamma: Annotated[float, typer.Option()] = 2.0,
    class_weights: Annotated[Optional[str], typer.Option(help="neither,acceptor,donor weights")] = None,
    steps_per_epoch: Annotated[Optional[int], typer.Option(help="cap on steps per epoch")] = None,
    val_windows: Annotated[Optional[int], typer.Option(help="cap on validation windows per epoch")] = None,
    patience: Annotated[int, typer.Option(help="early-stopping patience in epochs")] = 3,
    seeds: Annotated[Optional[str], typer.Option(help="comma-separated seeds; several make an ensemble")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    amp: Annotated[bool, typer.Option("--amp/--no-amp", help="bfloat16 autocast on CUDA")] = True,
    species: Annotated[Optional[str], typer.Option()] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue the run in --out")] = False,
    progress: Progress = True,
):
    """Train SpliceAI-architecture networks from scratch (one per seed)."""
    params = dict(locals())  # every parameter, by name: TrainConfig fields and RUN_OPTIONS
    if not resume and not data:
        raise UsageError("--data is required (unless --resume)")
    _train(params)


@app.command("transfer")
def transfer(
    init: Annotated[str, typer.Option("--from", help="'spliceai' (human weights), a checkpoint/ensemble dir, or OpenSpliceAI .pt file/dir")],
    data: Annotated[str, typer.Option("-d", "--data", help="create-data output directory")],
    out: Annotated[str, typer.Option("-o", "--out", help="checkpoint (or ensemble) directory")],
    trainable_units: Annotated[Optional[int], typer.Option("--trainable-units", help="train only the last k residual units (+ head); default: all")] = None,
    context: Annotated[int, typer.Option(help="network context (a prefix of the source's units if smaller)")] = 10000,
    epochs: Annotated[int, typer.Option()] = 5,
    batch_size: Annotated[int, typer.Option()] = 18,
    lr: Annotated[float, typer.Option(help="lower than from scratch")] = 1e-4,
    schedule: Annotated[str, typer.Option()] = "cosine",
    restart_epochs: Annotated[int, typer.Option()] = 100,
    loss: Annotated[str, typer.Option()] = "ce",
    steps_per_epoch: Annotated[Optional[int], typer.Option()] = None,
    val_windows: Annotated[Optional[int], typer.Option()] = None,
    patience: Annotated[int, typer.Option()] = 3,
    seeds: Annotated[Optional[str], typer.Option()] = None,
    device: Annotated[str, typer.Option()] = "auto",
    species: Annotated[Optional[str], typer.Option()] = None,
    resume: Annotated[bool, typer.Option("--resume")] = False,
    progress: Progress = True,
):
    """Fine-tune from existing weights (human SpliceAI, a checkpoint or OpenSpliceAI)."""
    _train(dict(locals()))  # every parameter, by name: TrainConfig fields and RUN_OPTIONS


@app.command("calibrate")
def calibrate(
    model: Annotated[str, typer.Option("-m", "--model", help="checkpoint or ensemble directory")],
    data: Annotated[str, typer.Option("-d", "--data", help="create-data directory (uses val.h5) or a .h5 split")],
    single: Annotated[bool, typer.Option("--single", help="one temperature for all classes")] = False,
    max_windows: Annotated[Optional[int], typer.Option()] = None,
    png: Annotated[Optional[str], typer.Option(help="reliability diagram (default MODEL/reliability.png)")] = None,
    report_on: Annotated[Optional[str], typer.Option("--report-on", help="also report NLL/ECE on this held-out split (e.g. DATA/test.h5)")] = None,
    progress: Progress = True,
):
    """Fit temperature scaling on validation data; store the temperatures in the model."""
    if report_on and not pathlib.Path(report_on).is_file():
        raise UsageError(f"--report-on {report_on}: no such split file")
    from ..training import calibration
    from ..training.reporting import Bar, print_table

    with Bar("calibrate", enabled=progress, unit="windows") as bar:
        report = calibration.calibrate(model, data, per_class=not single, max_windows=max_windows,
                                       png=png, progress=lambda n, t: bar.update(n, total=t))
    print_table(f"temperatures {report['temperatures']} fitted on {report['positions']} "
                f"positions", ["metric", "before", "after"], calibration.report_rows(report))
    if report_on:
        from ..models import checkpoint

        held = calibration.held_out_report(
            model, report_on, report["temperatures"],
            png=checkpoint._dir(model) / f"reliability_{pathlib.Path(report_on).stem}.png")
        meta = checkpoint.read_meta(model)
        meta["calibration"]["held_out"] = held
        checkpoint.write_meta(model, meta)
        print_table(f"held out: {report_on} ({held['positions']} positions)",
                    ["metric", "before", "after"], calibration.report_rows(held))


@app.command("evaluate")
def evaluate(
    model: Annotated[str, typer.Option("-m", "--model", help="backend name (e.g. spliceai) or checkpoint path")] = "spliceai",
    data: Annotated[Optional[str], typer.Option("-d", "--data", help="a split .h5 (e.g. DATA/test.h5)")] = None,
    reference: Annotated[Optional[str], typer.Option("-R", "--reference", help="or a FASTA ...")] = None,
    annotation: Annotated[Optional[str], typer.Option("-A", "--annotation", help="... with an annotation (every gene)")] = None,
    genes: Annotated[Optional[int], typer.Option(help="evaluate a random sample of this many genes")] = None,
    seed: Annotated[int, typer.Option(help="seed of the gene sample")] = 0,
    batch_size: Annotated[int, typer.Option()] = 4,
    json_out: Annotated[Optional[str], typer.Option("--json", help="write the metrics here")] = None,
    work_dir: Annotated[Optional[str], typer.Option("--work-dir", help="with -R/-A: write (and keep) the window file here; default: a temporary directory")] = None,
    progress: Progress = True,
):
    """Top-k accuracy and PR-AUC per class for any model backend."""
    from ..training import evaluation
    from ..training.reporting import Bar, print_table

    if data and (reference or annotation):
        raise UsageError("give --data, or --reference with --annotation, not both")
    if work_dir and data:
        raise UsageError("--work-dir is for --reference with --annotation (--data is read as is)")
    if data and pathlib.Path(data).is_dir():
        data = str(pathlib.Path(data) / "test.h5")
    with Bar("evaluate", enabled=progress, unit="windows") as bar:
        result = evaluation.evaluate(model, data=data, reference=reference, annotation=annotation,
                                     out_json=json_out, genes=genes, seed=seed,
                                     batch_size=batch_size, work_dir=work_dir,
                                     progress=lambda n, t: bar.update(n, total=t))
    print_table(f"{model} on {result['data']}: {result['genes']} genes, {result['windows']} "
                f"windows", evaluation.TABLE_HEADER, evaluation.table_rows(result))
    if not json_out:
        typer.echo(json.dumps(result["metrics"]))


@app.command("convert")
def convert(
    source: Annotated[str, typer.Option("--from", help="'spliceai' or OpenSpliceAI .pt file/dir")],
    out: Annotated[str, typer.Option("-o", "--out", help="checkpoint or ensemble directory")],
    species: Annotated[Optional[str], typer.Option()] = None,
):
    """Write existing weights as a spliceannot checkpoint (an ensemble when several)."""
    from ..training.transfer import convert as do_convert

    path = do_convert(source, out, species=species)
    typer.echo(f"wrote {path}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="train")
