"""fast transfer: an ensemble fine-tuned from existing weights on cached frozen features.

Member ``s`` starts from source network ``s mod N`` (the five human SpliceAI networks give a
five-member ensemble), has its frozen prefix cached once per window (:mod:`.cached`) and trains
its last ``trainable_units`` residual units, skip projections and head with AdamW under one
cosine learning-rate curve (a pure function of the step, :func:`.schedule.learning_rate`).
Validation loss after every epoch keeps the best weights; a wall-clock ``budget_s`` for the whole
ensemble (cache building included) is shared out between the members still to train, and a member
stops at the first step past its share. Each member is written as an ordinary checkpoint (the
whole network, so ``score`` needs nothing of this), then ``ensemble.json``.
"""

import dataclasses
import json
import pathlib
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..models import checkpoint
from ..errors import UsageError
from . import cached, transfer
from .dataset import WindowData
from .reporting import Bar
from .schedule import learning_rate


@dataclass
class TransferConfig:
    data: str  # create-data directory with train.h5 and val.h5
    out: str  # ensemble directory written
    source: str = "spliceai"  # 'spliceai', a checkpoint/ensemble dir or OpenSpliceAI .pt files
    members: int = 5
    trainable_units: int = 2  # last residual units trained (plus skip projections and head)
    context: int = 10000
    epochs: int = 8
    batch_size: int = 4  # windows per step
    lr: float = 5e-4
    weight_decay: float = 0.01
    warmup_steps: int = 10
    patience: int = 3  # epochs without a better validation loss before a member stops
    budget_s: float = None  # wall-clock seconds for the whole ensemble; None: no limit
    sites_only: bool = True  # train on windows that hold at least one splice site
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # bfloat16 autocast of the trainable part on CUDA
    species: str = None
    log_every: int = 10


def device_of(name: str) -> torch.device:
    """``--device`` as the engine resolves it; a missing GPU is a usage error here."""
    from ..engine import resolve_device

    try:
        return resolve_device(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _site_windows(data: WindowData, sites_only: bool) -> np.ndarray:
    idx = np.arange(len(data))
    if not sites_only:
        return idx
    has = np.array([bool(((data.f["y"][i] == 1) | (data.f["y"][i] == 2)).any()) for i in idx])
    return idx[has] if has.any() else idx


@torch.no_grad()
def _val_loss(net, first, cache, device, batch_size, use_amp) -> float:
    total, count = 0.0, 0
    for i in range(0, len(cache), batch_size):
        x, taps, y = cached.collate(cache[i:i + batch_size], device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            z = cached.suffix(net, first, x, taps)
        n = int((y >= 0).sum())
        total += float(torch.nn.functional.cross_entropy(z.float(), y, ignore_index=-1,
                                                         reduction="sum"))
        count += n
    return total / max(count, 1)


def train_member(cfg: TransferConfig, s: int, deadline: float, train_data, val_data, log,
                 progress: bool = True) -> dict:
    """Fine-tune member ``s``; writes ``out/member-s``; returns its summary."""
    device = device_of(cfg.device)
    use_amp = cfg.amp and device.type == "cuda"
    t_start = time.perf_counter()
    torch.manual_seed(s)
    net = transfer.initial_network(cfg.source, s, cfg.context).to(device).eval()
    n_units = len(net.units)
    first = n_units - min(cfg.trainable_units, n_units)
    train_idx = _site_windows(train_data, cfg.sites_only)
    with Bar(f"cache member {s}", total=len(train_idx) + len(val_data), enabled=progress,
             unit="windows") as bar:
        tick = lambda n: bar.update(n)  # noqa: E731
        train_cache = cached.build_cache(net, train_data, train_idx, first, device, progress=tick)
        val_cache = cached.build_cache(net, val_data, np.arange(len(val_data)), first, device,
                                       progress=tick)
    cache_s = time.perf_counter() - t_start
    params = cached.set_trainable(net, first)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    # Batches of windows of similar length (little padding), in a fresh order every epoch.
    by_len = np.argsort([it[2].shape[0] for it in train_cache], kind="stable")
    batches = [by_len[i:i + cfg.batch_size] for i in range(0, len(by_len), cfg.batch_size)]
    spe = len(batches)
    best = {"val_loss": _val_loss(net, first, val_cache, device, cfg.batch_size, use_amp),
            "epoch": 0, "state": {k: v.clone() for k, v in net.state_dict().items()}}
    start_loss = best["val_loss"]
    step, positions, step_s, bad, stopped = 0, 0, 0.0, 0, "epochs"
    log.write(json.dumps({"kind": "start", "member": s, "val_loss": start_loss,
                          "cache_seconds": round(cache_s, 2)}) + "\n")
    log.flush()
    with Bar(f"train member {s}", total=cfg.epochs * spe, enabled=progress, unit="steps") as bar:
        for epoch in range(cfg.epochs):
            order = np.random.default_rng([s, epoch]).permutation(spe)
            for b in range(spe):
                t0 = time.perf_counter()
                lr = learning_rate(step, base_lr=cfg.lr, steps_per_epoch=spe, epochs=cfg.epochs,
                                   kind="cosine", restart_epochs=cfg.epochs,
                                   warmup_steps=cfg.warmup_steps)
                for group in opt.param_groups:
                    group["lr"] = lr
                x, taps, y = cached.collate([train_cache[j] for j in batches[order[b]]], device)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                    z = cached.suffix(net, first, x, taps)
                loss = torch.nn.functional.cross_entropy(z.float(), y, ignore_index=-1)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                positions += int((y >= 0).sum())
                step_s += time.perf_counter() - t0
                bar.update(1, loss=float(loss.detach()), lr=lr)
                if step % cfg.log_every == 0:
                    log.write(json.dumps({"kind": "step", "member": s, "step": step, "lr": lr,
                                          "loss": float(loss.detach())}) + "\n")
                if time.perf_counter() > deadline:
                    stopped = "budget"
                    break
            v = _val_loss(net, first, val_cache, device, cfg.batch_size, use_amp)
            log.write(json.dumps({"kind": "epoch", "member": s, "epoch": epoch + 1, "step": step,
                                  "val_loss": v}) + "\n")
            log.flush()
            if v < best["val_loss"]:
                best = {"val_loss": v, "epoch": epoch + 1,
                        "state": {k: t.clone() for k, t in net.state_dict().items()}}
                bad = 0
            else:
                bad += 1
            if stopped == "budget":
                break
            if bad >= cfg.patience:
                stopped = "patience"
                break
    net.load_state_dict(best["state"])
    summary = {"member": s, "source_member": s, "steps": step, "epochs_run": epoch + 1,
               "best_epoch": best["epoch"], "stopped_by": stopped,
               "val_loss_start": round(start_loss, 6), "val_loss_best": round(best["val_loss"], 6),
               "cache_seconds": round(cache_s, 2), "train_seconds": round(step_s, 2),
               "seconds": round(time.perf_counter() - t_start, 2),
               "positions_per_s": round(positions / max(step_s, 1e-9), 1),
               "windows": len(train_cache), "device": str(device), "amp": use_amp}
    meta = checkpoint.new_meta(net.config, species=cfg.species or train_data.species,
                               training={"recipe": "cached transfer",
                                         "config": dataclasses.asdict(cfg), "data": cfg.data,
                                         "train_stats": train_data.stats, "member": summary},
                               metrics={"val_loss": best["val_loss"]})
    checkpoint.save(pathlib.Path(cfg.out) / f"member-{s}", net.cpu(), meta)
    return summary


def transfer_ensemble(cfg: TransferConfig, progress: bool = True) -> dict:
    """Train ``cfg.members`` members within ``cfg.budget_s``; write the ensemble; summary."""
    data = pathlib.Path(cfg.data)
    for split in ("train", "val"):
        if not (data / f"{split}.h5").is_file():
            raise UsageError(f"{data}/{split}.h5 is missing; run 'spliceannot train create-data'")
    if cfg.members < 1 or cfg.trainable_units < 0 or cfg.epochs < 1 or cfg.batch_size < 1:
        raise UsageError("members, epochs and batch size must be >= 1, trainable units >= 0")
    out = pathlib.Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    budget = cfg.budget_s if cfg.budget_s else float("inf")
    train_data, val_data = WindowData(data / "train.h5"), WindowData(data / "val.h5")
    members = []
    try:
        if cfg.context > train_data.context:
            raise UsageError(f"context {cfg.context} exceeds the data's {train_data.context}")
        with open(out / "metrics.jsonl", "w") as log:
            for s in range(cfg.members):
                left = budget - (time.perf_counter() - t0)
                deadline = time.perf_counter() + left / (cfg.members - s)
                members.append(train_member(cfg, s, deadline, train_data, val_data, log,
                                            progress))
    finally:
        train_data.close()
        val_data.close()
    seconds = time.perf_counter() - t0
    summary = {"recipe": "cached transfer", "config": dataclasses.asdict(cfg),
               "members": members, "seconds": round(seconds, 2)}
    checkpoint.save_ensemble(out, [f"member-{m['member']}" for m in members],
                             {"training": summary, "species": cfg.species})
    return summary
