"""The SpliceAI network (Jaganathan et al., Cell 2019) as small PyTorch modules.

Layout of SpliceAI-10k, as in the paper's Figure 1 and the published Keras models:
  stem 1x1 conv 4->W, a 1x1 skip conv of the stem output, then residual units
  (BN, ReLU, dilated conv) x 2 + identity; after every fourth unit (and the last) a 1x1 conv of
  the unit output is added to the skip sum; the skip sum is cropped by context/2 on each side and
  a 1x1 conv W->3 gives logits for (neither, acceptor, donor).
The 80/400/2000 nt variants are prefixes of the same unit list. Convolutions are 'same'-padded
with zeros, exactly as Keras pads, so outputs depend only on the input window.
"""

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

# (kernel, dilation) per residual unit; context = 2 * sum((k - 1) * d).
UNITS_10K = [(11, 1)] * 4 + [(11, 4)] * 4 + [(21, 10)] * 4 + [(41, 25)] * 4
PRESET_UNITS = {80: UNITS_10K[:4], 400: UNITS_10K[:8], 2000: UNITS_10K[:12], 10000: UNITS_10K}


@dataclass
class NetworkConfig:
    width: int = 32  # channels in every layer (SpliceAI: 32)
    units: list = field(default_factory=lambda: [list(u) for u in UNITS_10K])  # [kernel, dilation]
    skip_every: int = 4  # a 1x1 skip conv after every 4th unit and after the last
    bn_eps: float = 1e-3  # Keras' default, as stored in the SpliceAI HDF5 files
    relu_slope: float = 0.0  # 0: ReLU (SpliceAI); OpenSpliceAI's published models use LeakyReLU(0.1)

    @classmethod
    def preset(cls, context: int, width: int = 32) -> "NetworkConfig":
        if context not in PRESET_UNITS:
            raise ValueError(f"context must be one of {sorted(PRESET_UNITS)}, got {context}")
        return cls(width=width, units=[list(u) for u in PRESET_UNITS[context]])

    @property
    def context(self) -> int:
        return 2 * sum((k - 1) * d for k, d in self.units)

    def skip_after(self, i: int) -> bool:
        return (i + 1) % self.skip_every == 0 or i + 1 == len(self.units)

    def to_dict(self) -> dict:
        return asdict(self)


class ResidualUnit(nn.Module):
    """x + conv2(relu(bn2(conv1(relu(bn1(x)))))), both convs dilated and 'same'-padded."""

    def __init__(self, width: int, kernel: int, dilation: int, eps: float, slope: float = 0.0):
        super().__init__()
        pad = (kernel - 1) * dilation // 2
        self.slope = slope
        self.bn1 = nn.BatchNorm1d(width, eps=eps)
        self.conv1 = nn.Conv1d(width, width, kernel, dilation=dilation, padding=pad)
        self.bn2 = nn.BatchNorm1d(width, eps=eps)
        self.conv2 = nn.Conv1d(width, width, kernel, dilation=dilation, padding=pad)

    def forward(self, x):  # x: (B, W, L) -> (B, W, L)
        if self.slope:
            y = self.conv1(nn.functional.leaky_relu(self.bn1(x), self.slope))
            y = self.conv2(nn.functional.leaky_relu(self.bn2(y), self.slope))
            return y + x
        y = self.conv1(torch.relu(self.bn1(x)))
        y = self.conv2(torch.relu(self.bn2(y)))
        return y + x


class SpliceNet(nn.Module):
    """One SpliceAI network. forward: one-hot (B, 4, L) -> logits (B, 3, L - context)."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        w = config.width
        self.stem = nn.Conv1d(4, w, 1)
        self.stem_skip = nn.Conv1d(w, w, 1)
        self.units = nn.ModuleList(ResidualUnit(w, k, d, config.bn_eps, config.relu_slope)
                                   for k, d in config.units)
        self.skips = nn.ModuleDict(
            {str(i): nn.Conv1d(w, w, 1) for i in range(len(config.units)) if config.skip_after(i)})
        self.head = nn.Conv1d(w, 3, 1)

    def forward(self, x):
        x = self.stem(x)  # (B, W, L)
        skip = self.stem_skip(x)
        for i, unit in enumerate(self.units):
            x = unit(x)
            if str(i) in self.skips:
                skip = skip + self.skips[str(i)](x)
        crop = self.config.context // 2
        skip = skip[:, :, crop:skip.shape[2] - crop]  # (B, W, L - context)
        return self.head(skip)  # (B, 3, L - context) logits
