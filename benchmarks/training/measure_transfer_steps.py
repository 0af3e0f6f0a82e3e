"""Cost of the cached transfer's pieces on one human network (what chose the recipe).

Usage: python benchmarks/training/measure_transfer_steps.py DATA_DIR  (a create-data directory
with 10k context, e.g. Arabidopsis). Prints the full forward time, the cache time and the step
time with 0, 1, 2 and 4 trainable units on 4 training windows, and the cached logits' error.
"""

import sys
import time

import numpy as np
import torch

from spliceannot.training import cached, transfer
from spliceannot.training.dataset import WindowData, one_hot

torch.set_num_threads(2)
data = WindowData(f"{sys.argv[1]}/train.h5")
idx = np.arange(4)
x, y = data.read(idx, context=10000)
net = transfer.initial_network("spliceai", 0, 10000).eval()
t = time.perf_counter()
with torch.no_grad():
    full = net(torch.from_numpy(one_hot(x[:2])))
print(f"full forward, 2 windows: {time.perf_counter() - t:.2f} s")
for k in (0, 1, 2, 4):
    net = transfer.initial_network("spliceai", 0, 10000).eval()
    first = len(net.units) - k
    t = time.perf_counter()
    cache = cached.build_cache(net, data, idx, first, "cpu")
    cache_s = time.perf_counter() - t
    xb, taps, yb = cached.collate(cache[:2], "cpu")
    with torch.no_grad():
        z = cached.suffix(net, first, xb, taps)
    n0 = int((yb[0] >= 0).sum())
    err = float((z[0, :, :n0] - full[0, :, :n0]).abs().max())
    opt = torch.optim.AdamW(cached.set_trainable(net, first), lr=1e-4)
    xb, taps, yb = cached.collate(cache, "cpu")
    t = time.perf_counter()
    for _ in range(2):
        loss = torch.nn.functional.cross_entropy(cached.suffix(net, first, xb, taps), yb,
                                                 ignore_index=-1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"trainable units {k}: cache 4 windows {cache_s:.2f} s, step (4 windows, "
          f"{int((yb >= 0).sum())} positions) {(time.perf_counter() - t) / 2:.3f} s, "
          f"max |cached - full| logit {err:.4f}")
