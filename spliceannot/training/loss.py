"""Per-position losses over (neither, acceptor, donor), ignoring padding (label -1).

Cross-entropy is SpliceAI's objective; focal loss (Lin et al. 2017) down-weights the easy
'neither' positions that are >99.9 % of a transcript; optional class weights multiply each
position's loss by the weight of its true class. The mean is over labelled positions (for
weighted cross-entropy, over their weights, as torch's ``cross_entropy`` does).
"""

import torch
import torch.nn.functional as F

KINDS = ("ce", "focal")


def splice_loss(logits, y, kind: str = "ce", class_weights=None, focal_gamma: float = 2.0):
    """logits (B, 3, W) float, y (B, W) int64 with -1 for padding -> scalar."""
    if kind not in KINDS:
        raise ValueError(f"loss must be one of {', '.join(KINDS)}, got {kind!r}")
    logits = logits.float()
    w = None if class_weights is None else torch.as_tensor(class_weights, dtype=logits.dtype,
                                                           device=logits.device)
    if kind == "ce":
        return F.cross_entropy(logits, y, weight=w, ignore_index=-1)
    mask = y >= 0
    yy = y.clamp(min=0)
    logp = F.log_softmax(logits, dim=1).gather(1, yy.unsqueeze(1)).squeeze(1)  # (B, W)
    loss = -((1 - logp.exp()) ** focal_gamma) * logp
    if w is not None:
        loss = loss * w[yy]
    return (loss * mask).sum() / mask.sum().clamp(min=1)
