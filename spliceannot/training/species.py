"""species: genome + annotation -> a transferred, calibrated, evaluated model with a model card.

``run`` chains create-data (split by chromosome), the cached ensemble transfer
(:mod:`.fast_transfer`), temperature scaling fitted on the validation split and an evaluation on
every window of every held-out test gene of: the untransferred source ensemble, the transferred
ensemble before and after calibration, and any ``compare`` models. Calibration is *fitted* on
validation and *reported* (NLL, ECE, reliability diagram) on test. Writes ``OUT/data``,
``OUT/model`` (the ensemble, its ``README.md`` model card and ``reliability_test.png``) and
``OUT/report.json``. Nothing here depends on the species.
"""

import dataclasses
import json
import pathlib
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..models import checkpoint
from ..errors import UsageError
from . import cached, calibration, dataset, evaluation, fast_transfer, model_card, transfer
from .model_card import TABLE_HEADER, table_rows
from .reporting import plot_reliability


@dataclass
class SpeciesConfig:
    reference: str
    annotation: str
    out: str
    species: str
    test_chroms: list = None  # None: SpliceAI's 1,3,5,7,9
    train_chroms: list = None  # None: every other nuclear chromosome
    val_fraction: float = 0.1
    source: str = "spliceai"
    compare: list = field(default_factory=list)  # extra models listed in the evaluation
    transfer: dict = field(default_factory=dict)  # TransferConfig fields (members, epochs, ...)
    eval_batch_size: int = 4


def licence_of(source: str) -> str:
    """The licence a model transferred from ``source`` inherits (weights are derived works)."""
    if source == "spliceai":
        return ("CC BY-NC 4.0, inherited from the SpliceAI weights (Illumina): "
                "non-commercial use only")
    if checkpoint.is_model(source):
        return checkpoint.read_meta(source).get("licence") or \
            f"that of the source model {source} (not recorded in it)"
    return "GPL-3.0, inherited from the OpenSpliceAI weights"


def _nets_of(spec: str, context: int) -> tuple:
    """(networks cut to ``context``, temperatures or None) of a model spec."""
    nets = [transfer.cut_to_context(n, context) for n in transfer.source_networks(spec)]
    temps = checkpoint.temperatures(spec) if checkpoint.is_model(spec) else None
    if temps is not None and len(temps) == 1:
        temps = temps * 3
    return nets, temps


def evaluate_logits(logits, y, temps=None) -> dict:
    t = torch.ones(3) if temps is None else torch.tensor(temps, dtype=torch.float32)
    probs = calibration.ensemble_probs(logits, t)
    return {"metrics": evaluation.site_metrics(y.numpy(), probs.numpy()),
            "calibration": calibration.calibration_report(probs, y), "probs": probs}


def run(cfg: SpeciesConfig, progress: bool = True) -> dict:
    out = pathlib.Path(cfg.out)
    data_dir, model_dir = out / "data", out / "model"
    t0 = time.perf_counter()
    source_nets = transfer.source_networks(cfg.source)
    context = source_nets[0].config.context
    if context not in (80, 400, 2000, 10000):
        raise UsageError(f"source context {context}: must be 80, 400, 2000 or 10000")
    tcfg = fast_transfer.TransferConfig(data=str(data_dir), out=str(model_dir), source=cfg.source,
                                        context=context, species=cfg.species, **cfg.transfer)
    device = fast_transfer.device_of(tcfg.device)  # refused before anything is written
    for spec in cfg.compare:
        if not (checkpoint.is_model(spec) or pathlib.Path(spec).exists()):
            raise UsageError(f"--compare {spec}: not a checkpoint, ensemble or OpenSpliceAI path")
    data_stats = dataset.create_data(cfg.reference, cfg.annotation, data_dir, context=context,
                                     test_chroms=cfg.test_chroms, train_chroms=cfg.train_chroms,
                                     val_fraction=cfg.val_fraction, species=cfg.species)
    for split in ("train", "val", "test"):
        if data_stats["splits"][split]["windows"] == 0:
            raise UsageError(f"the {split} split has no windows; check --test-chroms, "
                             f"--train-chroms and --val-fraction against the FASTA's contigs")
    t_data = time.perf_counter()
    summary = fast_transfer.transfer_ensemble(tcfg, progress=progress)
    t_train = time.perf_counter()
    cal = calibration.calibrate(model_dir, data_dir / "val.h5", progress=None, device=device)
    temps = [float(t) for t in cal["temperatures"]] * (3 if len(cal["temperatures"]) == 1 else 1)
    meta = checkpoint.read_meta(model_dir)
    meta["licence"] = licence_of(cfg.source)
    checkpoint.write_meta(model_dir, meta)
    test = dataset.WindowData(data_dir / "test.h5")
    try:
        idx = np.arange(len(test))
        genes = int(len(np.unique(test.f["window_gene"][:])))

        def logits_of(nets):
            return calibration.collect_logits(nets, test, idx, batch_size=cfg.eval_batch_size,
                                              device=device)

        sources = [transfer.cut_to_context(n, context) for n in source_nets]
        members = checkpoint.load_networks(model_dir)
        first = len(sources[0].units) - min(tcfg.trainable_units, len(sources[0].units))
        if all(cached.same_prefix(sources[s % len(sources)], net, first)
               for s, net in enumerate(members)):
            # each frozen prefix runs once for the source network and its members
            z_src, z_new, y = cached.shared_logits(sources, members, first, test, idx, device,
                                                   batch_size=cfg.eval_batch_size)
        else:
            z_src, y = logits_of(sources)
            z_new, _ = logits_of(members)
        source_name = pathlib.Path(str(cfg.source)).name
        rows = {f"untransferred ({source_name})": evaluate_logits(z_src, y),
                "transferred": evaluate_logits(z_new, y),
                "transferred + calibrated": evaluate_logits(z_new, y, temps)}
        for spec in cfg.compare:
            nets, t = _nets_of(spec, context)
            rows[pathlib.Path(str(spec)).name] = evaluate_logits(logits_of(nets)[0], y, t)
    finally:
        test.close()
    t_eval = time.perf_counter()
    png = model_dir / "reliability_test.png"
    before, after = rows["transferred"], rows["transferred + calibrated"]
    if not plot_reliability({"uncalibrated": calibration.reliability(before["probs"], y),
                             "calibrated": calibration.reliability(after["probs"], y)}, png):
        png = None
    report = {"species": cfg.species, "source": cfg.source, "licence": licence_of(cfg.source),
              "config": {k: v for k, v in dataclasses.asdict(cfg).items()},
              "data": data_stats, "transfer": summary,
              "calibration": {"temperatures": cal["temperatures"],
                              "fitted_on": cal["fitted_on"], "val": cal,
                              "test_before": before["calibration"],
                              "test_after": after["calibration"],
                              "reliability_png": str(png) if png else None},
              "test": {"genes": genes, "windows": int(len(idx)), "positions": int(len(y)),
                       "models": {k: {"metrics": v["metrics"], "calibration": v["calibration"]}
                                  for k, v in rows.items()}},
              "seconds": {"create_data": round(t_data - t0, 2),
                          "transfer": round(t_train - t_data, 2),
                          "calibrate_evaluate": round(t_eval - t_train, 2),
                          "total": round(time.perf_counter() - t0, 2)}}
    meta = checkpoint.read_meta(model_dir)
    meta["metrics"] = {"test": report["test"]["models"]["transferred + calibrated"]["metrics"]}
    checkpoint.write_meta(model_dir, meta)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (model_dir / "README.md").write_text(model_card.render(report))
    return report


