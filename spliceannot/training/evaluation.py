"""evaluate: top-k accuracy and PR-AUC per splice-site class, for any model backend.

Top-k accuracy is SpliceAI's metric (Jaganathan et al. 2019): with k the number of true sites of
a class among the labelled positions, the fraction of the k highest-scoring positions that are
true sites (also at 0.5k, 2k and 4k). PR-AUC is average precision (the step-wise area, as
scikit-learn's ``average_precision_score``). Padding positions (label -1) never count.
"""

import json
import pathlib
import tempfile

import numpy as np

from ..errors import UsageError
from ..sequence import one_hot_codes
from . import labels as L
from .dataset import WindowData, create_data, crop_to_labels

CLASSES = {"acceptor": L.ACCEPTOR, "donor": L.DONOR}


def topk_accuracy(is_site: np.ndarray, scores: np.ndarray, factor: float = 1.0) -> float:
    k_true = int(is_site.sum())
    k = int(round(k_true * factor))
    if k_true == 0 or k == 0:
        return float("nan")
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return float(is_site[top].sum() / min(k, k_true))


def average_precision(is_site: np.ndarray, scores: np.ndarray) -> float:
    if is_site.sum() == 0:
        return float("nan")
    order = np.argsort(-scores, kind="mergesort")
    s, t = scores[order], is_site[order].astype(np.float64)
    tp, fp = np.cumsum(t), np.cumsum(1 - t)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # one point per distinct threshold
    tp, fp = tp[last], fp[last]
    precision, recall = tp / (tp + fp), tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def site_metrics(y: np.ndarray, probs: np.ndarray) -> dict:
    """y (N,) labels 0/1/2, probs (N, 3) -> per-class metrics and their mean."""
    out = {}
    for name, c in CLASSES.items():
        site = y == c
        out[name] = {"sites": int(site.sum()),
                     "topk": topk_accuracy(site, probs[:, c]),
                     "topk_0.5": topk_accuracy(site, probs[:, c], 0.5),
                     "topk_2": topk_accuracy(site, probs[:, c], 2.0),
                     "topk_4": topk_accuracy(site, probs[:, c], 4.0),
                     "pr_auc": average_precision(site, probs[:, c])}
    out["mean_topk"] = float(np.mean([out[n]["topk"] for n in CLASSES]))
    out["mean_pr_auc"] = float(np.mean([out[n]["pr_auc"] for n in CLASSES]))
    out["positions"] = int(len(y))
    return out


def window_indices(data: WindowData, genes: int = None, seed: int = 0, max_windows: int = None):
    """All windows, or those of a seeded random sample of ``genes`` genes, in file order."""
    idx = np.arange(len(data))
    if genes is not None:
        gene_of = data.f["window_gene"][:]
        n_genes = len(data.f["genes/name"])
        if genes < n_genes:
            chosen = np.random.default_rng(seed).choice(n_genes, size=genes, replace=False)
            idx = idx[np.isin(gene_of, chosen)]
    if max_windows is not None:
        idx = idx[:max_windows]
    return idx


def predict_windows(predict, data: WindowData, indices, context: int, batch_size: int = 8,
                    progress=None):
    """Run ``predict(codes (B, window + context)) -> probs (B, window, 3)`` over windows;
    returns (y (N,), probs (N, 3)) of the labelled positions."""
    ys, ps = [], []
    for i in range(0, len(indices), batch_size):
        x, y = crop_to_labels(*data.read(indices[i:i + batch_size], context=context), context)
        p = predict(x)
        keep = y >= 0
        ys.append(y[keep].astype(np.int8))
        ps.append(p[keep].astype(np.float32))
        if progress:
            progress(len(x))
    if not ys:
        raise UsageError(f"no windows to evaluate in {data.path}")
    return np.concatenate(ys), np.concatenate(ps)


def model_predictor(model):
    """A backend's ``predict`` ((B, L, 4) one-hot) over stored codes."""
    return lambda codes: model.predict(one_hot_codes(codes))


def resolve_model(spec: str):
    """The model for ``--model``, through the registry: a registered name (``spliceai``,
    plugins), else a path a backend claims (a checkpoint or ensemble directory, .pt files)."""
    from .. import registry

    return registry.model(spec)


def evaluate(model_spec, data=None, reference=None, annotation=None, out_json=None,
             genes: int = None, seed: int = 0, batch_size: int = 4, max_windows: int = None,
             work_dir=None, progress=None) -> dict:
    """Metrics of a model (registered name or checkpoint path) on a split file, or on a FASTA +
    annotation (every gene, made into a window file: in ``work_dir`` when given, where it is
    kept, else in a temporary directory removed afterwards; never silently in the cwd)."""
    model = resolve_model(model_spec)
    if data is None:
        if not (reference and annotation):
            raise UsageError("evaluate needs --data, or --reference and --annotation")
        if work_dir is not None:
            work = pathlib.Path(work_dir)
            if (work / "test.h5").exists():
                raise UsageError(f"--work-dir {work}: already holds test.h5; give an empty or "
                                 f"new directory")
            return _evaluate_on(model, model_spec, reference, annotation, work, out_json, genes,
                                seed, batch_size, max_windows, progress)
        with tempfile.TemporaryDirectory(prefix="spliceannot-eval-") as tmp:
            return _evaluate_on(model, model_spec, reference, annotation, pathlib.Path(tmp),
                                out_json, genes, seed, batch_size, max_windows, progress,
                                keep=False)
    return _evaluate_file(model, model_spec, data, out_json, genes, seed, batch_size,
                          max_windows, progress)


def _evaluate_on(model, model_spec, reference, annotation, work, out_json, genes, seed,
                 batch_size, max_windows, progress, keep=True) -> dict:
    """Windows of every gene of a FASTA + annotation written to ``work``, then evaluated."""
    create_data(reference, annotation, work, context=model.context, test_chroms="all",
                val_fraction=0.0, splits=("test",))
    data = work / "test.h5"
    label = str(data) if keep else f"{reference} + {annotation}"
    return _evaluate_file(model, model_spec, data, out_json, genes, seed, batch_size,
                          max_windows, progress, label=label)


def _evaluate_file(model, model_spec, data, out_json, genes, seed, batch_size, max_windows,
                   progress, label=None) -> dict:
    windows = WindowData(data)
    try:
        idx = window_indices(windows, genes=genes, seed=seed, max_windows=max_windows)
        if progress:
            progress(None, len(idx))
        y, p = predict_windows(model_predictor(model), windows, idx, model.context, batch_size,
                               progress=(lambda n: progress(n, None)) if progress else None)
        gene_rows = np.unique(windows.f["window_gene"][:][idx])
    finally:
        windows.close()
    result = {"model": str(model_spec), "model_info": _jsonable(model.info()),
              "data": label or str(data),
              "genes": int(len(gene_rows)), "windows": int(len(idx)),
              "gene_sample": {"n": genes, "seed": seed} if genes is not None else None,
              "metrics": site_metrics(y, p)}
    if out_json:
        pathlib.Path(out_json).write_text(json.dumps(result, indent=2) + "\n")
    return result


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


def table_rows(result: dict) -> list:
    m = result["metrics"]
    return [[name, str(m[name]["sites"]), f"{m[name]['topk']:.4f}", f"{m[name]['topk_2']:.4f}",
             f"{m[name]['pr_auc']:.4f}"] for name in CLASSES]


TABLE_HEADER = ["class", "sites", "top-k", "top-2k", "PR-AUC"]
