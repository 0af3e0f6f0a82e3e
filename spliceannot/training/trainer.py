"""train: the one visible training loop, its config, checkpoints every epoch and ``--resume``.

Output directory ``out`` (itself a checkpoint, so ``score --model out`` works):
  ``model.json`` + ``model.safetensors``  the weights with the lowest validation loss so far
  ``last/``                               the latest weights + ``train_state.pt`` (optimizer, RNG,
                                          counters) written every epoch and on interruption
  ``metrics.jsonl``                       one JSON object per logged step and per epoch
  ``curves.png``                          loss and validation top-k per epoch
Resuming gives the same weights as an uninterrupted run: batch order is a pure function of
(seed, epoch), the learning rate a pure function of the step, and the optimizer state, torch RNG
and position within the epoch are restored. ``train_state.pt`` holds only tensors and plain
containers and is read with ``torch.load(weights_only=True)``.
"""

import dataclasses
import json
import math
import pathlib
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..models import checkpoint
from ..errors import UsageError
from ..models.network import NetworkConfig, SpliceNet
from . import evaluation, transfer
from .dataset import WindowData, one_hot
from .loss import splice_loss
from .reporting import Bar, plot_curves
from .schedule import learning_rate

# ``tiny``: 4 residual units of width 8 (80 nt context), a few thousand parameters; trains in
# seconds on a CPU, for tests and the README. The others are SpliceAI's (Jaganathan et al. 2019).
PRESETS = {"tiny": {"context": 80, "width": 8}, "spliceai-80": {"context": 80},
           "spliceai-400": {"context": 400}, "spliceai-2k": {"context": 2000},
           "spliceai-10k": {"context": 10000}}


@dataclass
class TrainConfig:
    data: str  # a create-data directory with train.h5 and val.h5
    out: str  # where the checkpoint goes
    context: int = 10000  # 80, 400, 2000 or 10000 (must be <= the data's context)
    width: int = 32  # channels per layer (SpliceAI: 32)
    epochs: int = 10
    batch_size: int = 18  # windows per step (SpliceAI trains with 18 per GPU)
    lr: float = 1e-3
    weight_decay: float = 0.01  # AdamW
    schedule: str = "multistep"  # multistep | cosine | exponential | constant
    gamma: float = 0.5  # multistep factor per milestone / exponential factor per epoch
    milestones: list = None  # epochs; None: SpliceAI's (60/70/80/90 % of the epochs)
    restart_epochs: int = 2  # cosine: epochs per warm restart
    warmup_steps: int = 0
    loss: str = "ce"  # ce | focal
    focal_gamma: float = 2.0
    class_weights: list = None  # (neither, acceptor, donor) weights, None: all 1
    steps_per_epoch: int = None  # batches per epoch; None: every training window once
    val_windows: int = None  # validation windows per epoch; None: all
    patience: int = 3  # early stopping: stop after this many epochs without a better val loss
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # bfloat16 autocast when on CUDA
    init: str = None  # transfer: 'spliceai', a checkpoint/ensemble dir or OpenSpliceAI .pt
    trainable_units: int = None  # transfer: train only the last k residual units (+ head)
    species: str = None
    halt_after_steps: int = None  # stop as if interrupted after this many steps (resumable)
    log_every: int = 10  # steps between 'step' rows of metrics.jsonl
    extra: dict = field(default_factory=dict)  # recorded as given (e.g. the preset name)


def _device(cfg):
    from .fast_transfer import device_of

    return device_of(cfg.device)


def build_network(cfg) -> SpliceNet:
    torch.manual_seed(cfg.seed)  # weight initialisation is the first use of the RNG
    if cfg.init:
        return transfer.initial_network(cfg.init, cfg.seed, cfg.context)
    return SpliceNet(NetworkConfig.preset(cfg.context, width=cfg.width))


@torch.no_grad()
def validate(net, data: WindowData, cfg, device, indices=None) -> dict:
    """Mean cross-entropy and site metrics on validation windows (eval mode)."""
    was_training = net.training
    net.eval()
    idx = np.arange(len(data)) if indices is None else indices
    total, count, ys, ps = 0.0, 0, [], []
    for i in range(0, len(idx), cfg.batch_size):
        x, y = data.read(idx[i:i + cfg.batch_size], context=net.config.context)
        logits = net(torch.from_numpy(one_hot(x)).to(device)).float()
        yt = torch.from_numpy(y.astype(np.int64)).to(device)
        n = int((yt >= 0).sum())
        total += float(splice_loss(logits, yt, "ce")) * n
        count += n
        keep = y >= 0
        ys.append(y[keep])
        ps.append(torch.softmax(logits, 1).transpose(1, 2).cpu().numpy()[keep])
    net.train(was_training)
    m = evaluation.site_metrics(np.concatenate(ys), np.concatenate(ps))
    return {"val_loss": total / max(count, 1), "val_topk_acceptor": m["acceptor"]["topk"],
            "val_topk_donor": m["donor"]["topk"], "val_pr_auc_acceptor": m["acceptor"]["pr_auc"],
            "val_pr_auc_donor": m["donor"]["pr_auc"]}


def _meta(cfg, net, train_data, metrics) -> dict:
    summary = {"config": {k: v for k, v in dataclasses.asdict(cfg).items()},
               "data": str(cfg.data), "train_stats": train_data.stats,
               "data_context": train_data.context, "window": train_data.window}
    return checkpoint.new_meta(net.config, species=cfg.species or train_data.species,
                               training=summary, metrics=metrics)


def _save_state(last: pathlib.Path, net, opt, cfg, train_data, state: dict) -> None:
    checkpoint.save(last, net, _meta(cfg, net, train_data, state.get("last_metrics", {})))
    payload = {"optimizer": opt.state_dict(), "torch_rng": torch.get_rng_state(),
               "state": json.dumps(state)}
    torch.save(payload, last / "train_state.pt.tmp")
    (last / "train_state.pt.tmp").replace(last / "train_state.pt")


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict:
    """Train one network; returns the final state (``halted`` True when stopped early on
    purpose by ``halt_after_steps``, so a later ``resume`` continues it)."""
    data_dir = pathlib.Path(cfg.data)
    for split in ("train", "val"):
        if not (data_dir / f"{split}.h5").is_file():
            raise UsageError(f"{data_dir}/{split}.h5 is missing; run 'spliceannot train "
                             f"create-data' first")
    train_data, val_data = WindowData(data_dir / "train.h5"), WindowData(data_dir / "val.h5")
    try:
        return _run(cfg, resume, progress, train_data, val_data)
    finally:
        train_data.close()
        val_data.close()


def _run(cfg, resume, progress, train_data, val_data) -> dict:
    data_dir, out = pathlib.Path(cfg.data), pathlib.Path(cfg.out)
    device = _device(cfg)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    if cfg.context > train_data.context:
        raise UsageError(f"context {cfg.context} exceeds the data's {train_data.context}; "
                         f"rerun create-data with --context {cfg.context}")
    if len(train_data) == 0 or len(val_data) == 0:
        raise UsageError(f"{data_dir}: the train or val split has no windows")
    net = build_network(cfg)
    cfg.context = net.config.context
    frozen = transfer.freeze(net, cfg.trainable_units)
    net.to(device)
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=cfg.lr,
                            weight_decay=cfg.weight_decay)
    n_batches = math.ceil(len(train_data) / cfg.batch_size)
    spe = min(n_batches, cfg.steps_per_epoch or n_batches)
    state = {"epoch": 0, "batch": 0, "step": 0, "best_val_loss": None, "bad_epochs": 0,
             "loss_sum": 0.0, "loss_n": 0, "done": False, "halted": False, "positions": 0,
             "seconds": 0.0}
    last, log_path = out / "last", out / "metrics.jsonl"
    if resume and (last / "train_state.pt").is_file():
        saved_net, _ = checkpoint.load_network(last)
        net.load_state_dict(saved_net.state_dict())
        payload = torch.load(last / "train_state.pt", map_location=device, weights_only=True)
        opt.load_state_dict(payload["optimizer"])
        torch.set_rng_state(payload["torch_rng"])
        state = json.loads(payload["state"])
        state["halted"] = False
        if state["done"]:
            return state
    else:
        out.mkdir(parents=True, exist_ok=True)
        log_path.write_text("")
    (out / "train_config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
    val_idx = np.arange(min(len(val_data), cfg.val_windows or len(val_data)))
    use_amp = cfg.amp and device.type == "cuda"
    log = open(log_path, "a")
    bar = Bar(f"train seed {cfg.seed}", total=cfg.epochs * spe, enabled=progress, unit="steps")
    with bar:
        bar.update(state["step"])
        while state["epoch"] < cfg.epochs:
            # Batch order depends only on (seed, epoch): a resumed run sees the same batches.
            order = np.random.default_rng([cfg.seed, state["epoch"]]).permutation(len(train_data))
            net.train()
            for module in frozen:  # frozen units keep their BatchNorm running statistics
                module.eval()
            t0 = time.perf_counter()
            while state["batch"] < spe:
                b = state["batch"]
                lr = learning_rate(state["step"], base_lr=cfg.lr, steps_per_epoch=spe,
                                   epochs=cfg.epochs, kind=cfg.schedule, gamma=cfg.gamma,
                                   milestones=cfg.milestones, restart_epochs=cfg.restart_epochs,
                                   warmup_steps=cfg.warmup_steps)
                for group in opt.param_groups:
                    group["lr"] = lr
                x, y = train_data.read(order[b * cfg.batch_size:(b + 1) * cfg.batch_size],
                                       context=net.config.context)
                xt = torch.from_numpy(one_hot(x)).to(device)  # (B, 4, W + context)
                yt = torch.from_numpy(y.astype(np.int64)).to(device)  # (B, W)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                    logits = net(xt)  # (B, 3, W)
                loss = splice_loss(logits, yt, cfg.loss, cfg.class_weights, cfg.focal_gamma)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                state["batch"] += 1
                state["step"] += 1
                state["loss_sum"] += float(loss.detach())
                state["loss_n"] += 1
                state["positions"] += int((y >= 0).sum())
                bar.update(1, epoch=state["epoch"] + 1, loss=float(loss.detach()), lr=lr)
                if state["step"] % cfg.log_every == 0:
                    log.write(json.dumps({"kind": "step", "step": state["step"],
                                          "epoch": state["epoch"], "lr": lr,
                                          "loss": float(loss.detach())}) + "\n")
                    log.flush()
                if cfg.halt_after_steps and state["step"] >= cfg.halt_after_steps \
                        and state["batch"] < spe:
                    state["seconds"] += time.perf_counter() - t0
                    state["halted"] = True
                    _save_state(last, net, opt, cfg, train_data, state)
                    log.close()
                    return state
            seconds = time.perf_counter() - t0
            state["seconds"] += seconds
            row = {"kind": "epoch", "epoch": state["epoch"] + 1, "step": state["step"], "lr": lr,
                   "train_loss": state["loss_sum"] / max(state["loss_n"], 1),
                   **validate(net, val_data, cfg, device, val_idx),
                   "train_seconds": round(state["seconds"], 2),
                   "positions_per_s": round(state["positions"] / max(state["seconds"], 1e-9), 1),
                   "device": str(device)}
            log.write(json.dumps(row) + "\n")
            log.flush()
            state.update(epoch=state["epoch"] + 1, batch=0, loss_sum=0.0, loss_n=0,
                         last_metrics=row)
            best = state["best_val_loss"]
            if best is None or row["val_loss"] < best:
                state.update(best_val_loss=row["val_loss"], bad_epochs=0)
                checkpoint.save(out, net, _meta(cfg, net, train_data, row))
            else:
                state["bad_epochs"] += 1
            if state["bad_epochs"] >= cfg.patience or state["epoch"] >= cfg.epochs:
                state["done"] = True
            _save_state(last, net, opt, cfg, train_data, state)
            if state["done"]:
                break
            if cfg.halt_after_steps and state["step"] >= cfg.halt_after_steps:
                state["halted"] = True
                log.close()
                return state
    log.close()
    plot_curves(log_path, out / "curves.png")
    return state


def saved_config(out) -> TrainConfig:
    """The config a run in ``out`` was started with (what ``--resume`` continues)."""
    path = pathlib.Path(out) / "train_config.json"
    if not path.is_file():
        raise UsageError(f"{out}: no train_config.json to resume from")
    return TrainConfig(**json.loads(path.read_text()))


def train_ensemble(cfg: TrainConfig, seeds: list, resume: bool = False,
                   progress: bool = True) -> list:
    """One network per seed under ``out/seed-S``, then ``out/ensemble.json`` naming them."""
    if len(seeds) == 1:
        return [train(dataclasses.replace(cfg, seed=seeds[0]), resume, progress)]
    states = []
    for s in seeds:
        member = dataclasses.replace(cfg, seed=s, out=str(pathlib.Path(cfg.out) / f"seed-{s}"))
        states.append(train(member, resume, progress))
    if not any(st.get("halted") for st in states):
        checkpoint.save_ensemble(cfg.out, [f"seed-{s}" for s in seeds])
    return states
