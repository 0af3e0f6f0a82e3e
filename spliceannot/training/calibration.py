"""calibrate: temperature scaling fitted on the validation split, stored in the model.

Temperature scaling (Guo et al. 2017) divides each network's logits by T (one per class, or one
for all) before the softmax; for an ensemble the member probabilities are then averaged, exactly
what :class:`spliceannot.models.EnsembleModel` does when scoring, so the fitted temperatures mean
the same thing in both places. T is fitted by minimising the negative log-likelihood (L-BFGS over
log T) of the labelled validation positions. Reported before and after: NLL, top-label expected
calibration error (ECE, 15 equal-width bins) and class-wise ECE for acceptor and donor (the
top-label ECE is dominated by the >99 % 'neither' positions).
"""

import json
import pathlib

import numpy as np
import torch

from ..models import checkpoint
from ..errors import UsageError
from .dataset import WindowData, crop_to_labels, one_hot
from .evaluation import window_indices
from .reporting import plot_reliability

BINS = 15
CLASS_NAMES = ("neither", "acceptor", "donor")


@torch.no_grad()
def collect_logits(nets, data: WindowData, indices, batch_size: int = 4, progress=None,
                   device="cpu"):
    """(logits (M, N, 3) float32 on the CPU, y (N,) int64) for the labelled positions."""
    context = nets[0].config.context
    nets = [net.to(device).eval() for net in nets]
    zs, ys = [], []
    for i in range(0, len(indices), batch_size):
        x, y = data.read(indices[i:i + batch_size], context=context)
        x, y = crop_to_labels(x, y, context)
        xt = torch.from_numpy(one_hot(x)).to(device)
        keep = torch.from_numpy(y >= 0).to(device)
        z = torch.stack([net(xt).transpose(1, 2)[keep] for net in nets])  # (M, n, 3)
        zs.append(z.float().cpu())
        ys.append(torch.from_numpy(y[y >= 0].astype(np.int64)))
        if progress:
            progress(len(x))
    return torch.cat(zs, dim=1), torch.cat(ys)


def ensemble_probs(logits, temperatures):
    """logits (M, N, 3), temperatures (3,) -> mean over members of softmax(logits / T)."""
    return torch.softmax(logits / temperatures.view(1, 1, -1), dim=2).mean(0)


def nll(probs, y) -> float:
    return float(-torch.log(probs.gather(1, y.view(-1, 1)).clamp_min(1e-12)).mean())


def _bins(conf, hit, bins=BINS):
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    mean_conf = np.bincount(which, weights=conf, minlength=bins) / np.maximum(count, 1)
    freq = np.bincount(which, weights=hit, minlength=bins) / np.maximum(count, 1)
    return mean_conf, freq, count


def ece(conf, hit, bins=BINS) -> float:
    mean_conf, freq, count = _bins(conf, hit, bins)
    return float(np.sum(count / max(count.sum(), 1) * np.abs(mean_conf - freq)))


def calibration_report(probs, y) -> dict:
    p, t = probs.numpy().astype(np.float64), y.numpy()
    top = p.argmax(1)
    out = {"nll": nll(probs, y), "ece": ece(p.max(1), (top == t).astype(np.float64))}
    for c in (1, 2):
        out[f"ece_{CLASS_NAMES[c]}"] = ece(p[:, c], (t == c).astype(np.float64))
    return out


def reliability(probs, y) -> dict:
    p, t = probs.numpy().astype(np.float64), y.numpy()
    return {CLASS_NAMES[c]: [a.tolist() for a in _bins(p[:, c], (t == c).astype(np.float64))]
            for c in (1, 2)}


def fit_temperatures(logits, y, per_class: bool = True, steps: int = 100) -> torch.Tensor:
    """Temperatures (3,) minimising the ensemble NLL; one shared value unless ``per_class``."""
    log_t = torch.zeros(3 if per_class else 1, dtype=torch.float64, requires_grad=True)
    z = logits.double()
    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        t = log_t.exp().expand(3)
        loss = -torch.log(ensemble_probs(z, t).gather(1, y.view(-1, 1)).clamp_min(1e-12)).mean()
        loss.backward()
        return loss

    opt.step(closure)
    return log_t.detach().exp().expand(3).float().clone()


def calibrate(model_path, data, per_class: bool = True, max_windows: int = None,
              png=None, progress=None, device="cpu") -> dict:
    """Fit temperatures for a checkpoint or ensemble on ``data`` (a val split or create-data
    directory), write them into the model's JSON and a reliability PNG; returns the report."""
    if not checkpoint.is_model(model_path):
        raise UsageError(f"{model_path}: calibrate needs a spliceannot checkpoint or ensemble "
                         f"directory (temperatures are stored in it)")
    data = pathlib.Path(data)
    if data.is_dir():
        data = data / "val.h5"
    nets = checkpoint.load_networks(model_path)
    windows = WindowData(data)
    try:
        idx = window_indices(windows, max_windows=max_windows)
        if progress:
            progress(None, len(idx))
        logits, y = collect_logits(nets, windows, idx, device=device,
                                   progress=(lambda n: progress(n, None)) if progress else None)
    finally:
        windows.close()
    ones = torch.ones(3)
    before_p = ensemble_probs(logits, ones)
    temps = fit_temperatures(logits, y, per_class=per_class)
    after_p = ensemble_probs(logits, temps)
    report = {"method": "temperature scaling", "per_class": per_class,
              "temperatures": [round(float(t), 6) for t in (temps if per_class else temps[:1])],
              "fitted_on": str(data), "windows": int(len(idx)), "positions": int(len(y)),
              "before": calibration_report(before_p, y), "after": calibration_report(after_p, y)}
    meta = checkpoint.read_meta(model_path)
    meta["calibration"] = report
    checkpoint.write_meta(model_path, meta)
    png = png or pathlib.Path(checkpoint._dir(model_path)) / "reliability.png"
    drawn = plot_reliability({"uncalibrated": reliability(before_p, y),
                              "calibrated": reliability(after_p, y)}, png)
    report["png"] = str(png) if drawn else None
    return report


def held_out_report(model_path, data, temperatures, png=None, device="cpu") -> dict:
    """NLL/ECE before and after ``temperatures`` on another split (the test split: the
    calibration's honest numbers, since it was fitted on validation), with a reliability PNG."""
    nets = checkpoint.load_networks(model_path)
    windows = WindowData(data)
    try:
        logits, y = collect_logits(nets, windows, window_indices(windows), device=device)
    finally:
        windows.close()
    t = torch.tensor(temperatures * (3 if len(temperatures) == 1 else 1), dtype=torch.float32)
    before_p, after_p = ensemble_probs(logits, torch.ones(3)), ensemble_probs(logits, t)
    drawn = png is not None and plot_reliability(
        {"uncalibrated": reliability(before_p, y), "calibrated": reliability(after_p, y)}, png)
    return {"data": str(data), "positions": int(len(y)), "png": str(png) if drawn else None,
            "before": calibration_report(before_p, y), "after": calibration_report(after_p, y)}


def report_rows(report: dict) -> list:
    rows = []
    for key in ("nll", "ece", "ece_acceptor", "ece_donor"):
        rows.append([key, f"{report['before'][key]:.5f}", f"{report['after'][key]:.5f}"])
    return rows


def dumps(report: dict) -> str:
    return json.dumps(report, indent=2)
