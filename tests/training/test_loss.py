"""Cross-entropy and focal loss over labelled positions only."""

import torch
import torch.nn.functional as F

from spliceannot.training.loss import splice_loss


def test_padding_ignored_and_focal_gamma0_is_ce():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 7)
    y = torch.tensor([[0, 1, 2, 0, -1, -1, -1], [2, 2, 0, 1, 0, 0, -1]])
    keep = y >= 0
    flat = logits.transpose(1, 2)[keep]
    ce = F.cross_entropy(flat, y[keep])
    assert torch.allclose(splice_loss(logits, y), ce)
    assert torch.allclose(splice_loss(logits, y, "focal", focal_gamma=0.0), ce)
    assert splice_loss(logits, y, "focal", focal_gamma=2.0) < ce
    w = [1.0, 5.0, 5.0]
    assert torch.allclose(splice_loss(logits, y, class_weights=w),
                          F.cross_entropy(flat, y[keep], weight=torch.tensor(w)))
