"""Cached transfer: run a network's frozen prefix once per window, then train only the rest.

Fine-tuning the last ``k`` residual units of a 10,000-nt SpliceAI network by full forward and
backward passes costs a whole 15,000-position network per window and step; the frozen prefix
(stem and the first units) gives the same output every epoch. So each window's prefix is computed
once, kept in float16, and every step runs only the trainable suffix:

* the input of the first trainable unit, over the labelled positions plus ``margin`` on each side
  (``margin`` = the suffix's receptive-field radius, so the labelled outputs are exactly those of
  the whole network),
* the skip taps of the frozen part (stem and every fourth unit) over the labelled positions, which
  feed the skip projections (1x1 convolutions, trainable too: cheap, and they re-weight features
  from every depth).

Only the labelled extent of a window is kept (windows past a transcript's 3' end are padding), and
a batch is right-padded with zeros, which only reaches unlabelled outputs. BatchNorm layers keep
the human running statistics (eval mode) while their scale and shift train, so batches of a few
windows are fine. On CUDA the suffix runs under bfloat16 autocast.
"""

import numpy as np
import torch

from .dataset import one_hot


def margin(net, first: int) -> int:
    """Receptive-field radius of units ``first..`` (each unit: two 'same' convs)."""
    return sum((k - 1) * d for k, d in net.config.units[first:])


def frozen_skips(net, first: int) -> list:
    """Names of the skip projections fed by frozen units ('stem' for the stem's)."""
    return ["stem"] + [i for i in net.skips if int(i) < first]


@torch.no_grad()
def prefix(net, xt, first: int):
    """(input of unit ``first`` (B, W, L), [taps] each (B, W, L)) of one-hot ``xt``."""
    x = net.stem(xt)
    taps = [x]
    for i in range(first):
        x = net.units[i](x)
        if str(i) in net.skips:
            taps.append(x)
    return x, taps


def extent(y: np.ndarray) -> int:
    """Positions up to and including the last labelled one."""
    keep = np.nonzero(y >= 0)[0]
    return int(keep[-1]) + 1 if len(keep) else 0


@torch.no_grad()
def build_cache(net, data, indices, first: int, device, batch_size: int = 2,
                progress=None) -> list:
    """One (x_in float16 (W, n + 2m), taps float16 (T, W, n), y int8 (n,)) per window."""
    context = net.config.context
    half, m = context // 2, margin(net, first)
    out = []
    for i in range(0, len(indices), batch_size):
        x, y = data.read(indices[i:i + batch_size], context=context)
        ext = [extent(row) for row in y]
        width = context + max(ext)
        xt = torch.from_numpy(one_hot(x[:, :width])).to(device)
        h, taps = prefix(net, xt, first)
        for b, n in enumerate(ext):
            if n == 0:
                continue
            out.append((h[b, :, half - m:half + n + m].to("cpu", torch.float16).clone(),
                        torch.stack([t[b, :, half:half + n] for t in taps]).to(
                            "cpu", torch.float16).clone(),
                        torch.from_numpy(y[b, :n].copy())))
        if progress:
            progress(len(x))
    return out


def collate(items: list, device):
    """Right-pad a list of cache entries to a batch (x (B,W,n+2m), taps (T,B,W,n), y (B,n))."""
    n = max(it[2].shape[0] for it in items)
    m2 = items[0][0].shape[1] - items[0][2].shape[0]
    width, taps = items[0][0].shape[0], items[0][1].shape[0]
    x = torch.zeros(len(items), width, n + m2, dtype=torch.float32)
    t = torch.zeros(taps, len(items), width, n, dtype=torch.float32)
    y = torch.full((len(items), n), -1, dtype=torch.int64)
    for b, (xi, ti, yi) in enumerate(items):
        x[b, :, :xi.shape[1]] = xi.float()
        t[:, b, :, :ti.shape[2]] = ti.float()
        y[b, :yi.shape[0]] = yi.long()
    return x.to(device), t.to(device), y.to(device)


def suffix(net, first: int, x, taps):
    """Logits (B, 3, n) of the trainable part from cached ``x`` (B, W, n + 2m), ``taps``."""
    m = margin(net, first)
    n = x.shape[2] - 2 * m
    names = frozen_skips(net, first)
    skip = net.stem_skip(taps[0])
    for j, name in enumerate(names[1:], start=1):
        skip = skip + net.skips[name](taps[j])
    for i in range(first, len(net.units)):
        x = net.units[i](x)
        if str(i) in net.skips:
            skip = skip + net.skips[str(i)](x[:, :, m:m + n])
    return net.head(skip)


def set_trainable(net, first: int) -> list:
    """Freeze the prefix; train units ``first..``, every skip projection and the head.
    Returns the trainable parameters. All BatchNorm layers stay in eval mode (see module doc)."""
    for p in net.parameters():
        p.requires_grad_(False)
    modules = [net.units[i] for i in range(first, len(net.units))]
    modules += [net.stem_skip, net.head] + list(net.skips.values())
    params = [p for mod in modules for p in mod.parameters()]
    for p in params:
        p.requires_grad_(True)
    net.eval()
    return params


def same_prefix(a, b, first: int) -> bool:
    """Whether two networks share the frozen part (stem and units before ``first``)."""
    sa, sb = a.state_dict(), b.state_dict()
    names = [n for n in sa if n.startswith("stem.") or
             (n.startswith("units.") and int(n.split(".")[1]) < first)]
    return all(n in sb and torch.equal(sa[n], sb[n]) for n in names)


@torch.no_grad()
def shared_logits(sources: list, members: list, first: int, data, indices, device,
                  batch_size: int = 4):
    """Evaluation logits of the source networks and of members transferred from them, running
    each source's frozen prefix once (float32) for itself and every member ``s`` with
    ``s mod len(sources)`` = its index (members not sharing it must be evaluated the usual
    way; :func:`same_prefix`). Returns (z_sources (N, P, 3), z_members (M, P, 3), y (P,))."""
    context = sources[0].config.context
    half, m = context // 2, margin(sources[0], first)
    for net in sources + members:
        net.to(device).eval()
    zs, zm, ys = [], [], []
    for i in range(0, len(indices), batch_size):
        x, y = data.read(indices[i:i + batch_size], context=context)
        n = max(extent(row) for row in y)
        if n == 0:
            continue
        xt = torch.from_numpy(one_hot(x[:, :context + n])).to(device)
        keep = torch.from_numpy(y[:, :n] >= 0).to(device)
        src_out, mem_out = [None] * len(sources), [None] * len(members)
        for j, net in enumerate(sources):
            h, taps = prefix(net, xt, first)
            xi = h[:, :, half - m:half + n + m]
            ti = [t[:, :, half:half + n] for t in taps]
            src_out[j] = suffix(net, first, xi, ti).transpose(1, 2)[keep].float().cpu()
            for s in range(j, len(members), len(sources)):
                mem_out[s] = suffix(members[s], first, xi, ti).transpose(1, 2)[keep].float().cpu()
        zs.append(torch.stack(src_out))
        zm.append(torch.stack(mem_out))
        ys.append(torch.from_numpy(y[:, :n][y[:, :n] >= 0].astype(np.int64)))
    return torch.cat(zs, 1), torch.cat(zm, 1), torch.cat(ys)
