"""SpliceNet inference whose every output has the same bits wherever and however it is computed.

Both the per-window path (:meth:`spliceannot.models.EnsembleModel.predict`, hence the ``delta``
scorer) and the fast engine (:mod:`spliceannot.engine`) run a network through one
:class:`InferenceNet`. A value the engine computes on a crop of a layer therefore equals the one
the whole window gives, bit for bit, and so do the SpliceAI strings. What makes it so, measured on
this CPU build (torch 2.13, oneDNN 3.12) rather than assumed (``tests/test_inference.py``):

* Every convolution is an unpadded ("valid") channels-last 2-D convolution, which oneDNN runs
  with its brgemm kernel: an output then gets the same bits whatever the input's length, the
  output's place in it or the batch size -- provided the call holds at least two batch items (a
  one-item call is blocked differently). A single sequence is therefore cut into two tiles (each
  with its ``2r`` halo); 1x1 convolutions always run on tiles of ``POINTWISE_TILE`` positions.
  By contrast torch's padded 1-D convolution differs in the last bits between lengths, and runs
  3-4x slower here than these calls.
* Batch norm is ``x * inv + (beta - mean * inv)`` with ``inv = gamma * rsqrt(var + eps)``, as
  Keras computes it: two elementwise steps, each exactly rounded, so layout cannot change a bit.
  ReLU and the residual sum are exact too. Folding the second batch norm into the convolution
  before it was measured and rejected: no speed gain within this machine's noise, while the
  largest difference from Keras' probabilities grew from 8.3e-7 to 1.4e-6.
* The head, temperatures and softmax run on a batch of windows at once (one launch per batch):
  the head is a 1x1 convolution on tiles, so a window's logits do not depend on its batch-mates,
  and the softmax is exactly rounded per position.

On CUDA, cuDNN picks its algorithm by shape and does not promise a crop the same bits as the
whole. It runs deterministic, without timing-based autotuning and in fp32 (no TF32); the probe
(:func:`position_invariant`) runs on the device. Where natural shapes fail it, every
convolution runs ONE shape per layer: tiles of ``CUDA_SHAPES[0]`` outputs, in calls of exactly
``CUDA_SHAPES[1]`` items (the last padded with zeros); where that fails too, the engine computes
whole windows.

Activations are ``(batch, length, channels)`` throughout, and each stage is shorter than the last
by twice its radius. Training uses the plain modules of :mod:`spliceannot.models.network`; this is for
inference only, where it computes the same function (to ~1e-7) on fewer positions.
"""

import os

import numpy as np
import torch
import torch.nn.functional as F

from .cone import stage_radii

# 1x1 convolutions run on tiles of this many positions: on one thread, oneDNN's 1x1 kernels
# differ in the last bits between output widths (measured), so they always see this one.
POINTWISE_TILE = 512
# CUDA: (outputs per tile, items per call) of every convolution call where natural shapes fail
# the probe (the engine then switches to these; "fixed" in the environment variable forces them).
# On an H200 (cuDNN 9.19, deterministic) natural shapes passed and ran 2.2x faster.
CUDA_SHAPES = (128, 64)  # short tiles: an ALT cone's spans are often ~100 positions


def cuda_shapes():
    return CUDA_SHAPES if os.environ.get("SPLICEANNOT_CUDA_SHAPES") == "fixed" else None


def fp32_on_cuda():
    """cuDNN convolutions default to TF32 on recent GPUs (a 10-bit mantissa: 2.4e-4 from Keras
    measured on an H200); fp32 is what keeps the strings."""
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


class Work:
    """Multiply-adds run by the convolutions that share this counter: every output a call
    computes (tile padding and filler items included) times its kernel width and its input
    channels per group and output channels. The engine reads it per pass (REF, ALT)."""

    def __init__(self):
        self.macs = 0


class Conv:
    """One convolution's weights in the layout the tiles need."""

    def __init__(self, conv, device, fixed=None):
        self.fixed = fixed  # (tile, items per call): every call runs this one shape
        self.work = None  # a Work to count into, or None
        self.members = None  # stacked: the members' own convolutions, for the per-member kernel
        self.per_member = False  # stacked: run the members one by one on their channels
        w = conv.weight.detach().to(device=device, dtype=torch.float32)  # (out, in, k)
        b = conv.bias.detach().to(device=device, dtype=torch.float32)
        self.weight = w.unsqueeze(2).contiguous(memory_format=torch.channels_last)
        self.bias = b.contiguous()
        self.kernel = w.shape[2]
        self.dilation = conv.dilation[0]
        self.radius = (self.kernel - 1) * self.dilation // 2
        self.groups = 1

    @classmethod
    def stacked(cls, convs, shared_input: bool) -> "Conv":
        """The members' convolutions as one call: output channels member after member; a
        grouped convolution (one group per member) or, where every member reads the same input
        (the stem), a plain one with all members' filters."""
        out = object.__new__(cls)
        first = convs[0]
        out.fixed, out.kernel, out.dilation, out.radius = (first.fixed, first.kernel,
                                                           first.dilation, first.radius)
        out.weight = torch.cat([c.weight for c in convs]).contiguous(
            memory_format=torch.channels_last)
        out.bias = torch.cat([c.bias for c in convs]).contiguous()
        out.groups = 1 if shared_input else len(convs)
        out.work, out.per_member = None, False
        out.members = None if shared_input else list(convs)
        return out

    @property
    def in_channels(self) -> int:
        return self.weight.shape[1] * self.groups

    def __call__(self, x):
        """Valid convolution: x (B, n + 2r, in) -> (B, n, out)."""
        r = self.radius
        b, length, c = x.shape
        n = length - 2 * r
        if n <= 0:
            raise ValueError(f"input of {length} positions is too short for radius {r}")
        if self.per_member:
            return self._per_member(x)
        if r == 0:
            tile = POINTWISE_TILE
        elif self.fixed:
            tile = self.fixed[0]
        else:
            tile = n if b >= 2 else -(-n // 2)  # at least two batch items, fewest copies
        count = -(-n // tile)
        items = b * count
        if count == 1 and items >= 2 and tile == n and not self.fixed:
            tiles = x.unsqueeze(1)  # (b, 1, length, c): no copy needed
        else:
            tiles = self._tiles(x, tile, count)
        if self.work is not None:  # every output computed, filler items included
            self.work.macs += (tiles.shape[0] * tile * self.weight.shape[0]
                               * self.weight.shape[1] * self.kernel)
        y = self._conv(tiles.permute(0, 3, 1, 2))[:items]
        return y.permute(0, 2, 3, 1).reshape(b, count * tile, -1)[:, :n]

    def _per_member(self, x):
        """The stacked convolution as each member's own on its channels, into one output: the
        member's bits by construction (``stack_identical`` proves the grouped call gives the
        same), chosen where this device runs it faster (:func:`choose_kernels`)."""
        b, length, _ = x.shape
        n = length - 2 * self.radius
        width, out_w = self.weight.shape[1], self.weight.shape[0] // self.groups
        out = x.new_empty((b, n, out_w * self.groups))
        for j, conv in enumerate(self.members):
            saved, conv.work = conv.work, self.work  # the member's own counter stays its own
            try:
                out[..., j * out_w:(j + 1) * out_w] = conv(x[..., j * width:(j + 1) * width])
            finally:
                conv.work = saved
        return out

    def _conv(self, tiles):
        """conv2d on (items, c, 1, tile + 2r); with ``fixed``, in calls of exactly that many."""
        if not self.fixed:
            return F.conv2d(tiles, self.weight, self.bias, dilation=(1, self.dilation),
                            groups=self.groups)
        per = self.fixed[1]
        return torch.cat([F.conv2d(tiles[i:i + per], self.weight, self.bias,
                                   dilation=(1, self.dilation), groups=self.groups)
                          for i in range(0, tiles.shape[0], per)])

    def _items(self, items):
        """Batch items to allocate: at least two (one-item calls are blocked differently), and
        with ``fixed`` a whole number of calls."""
        if self.fixed:
            return -(-items // self.fixed[1]) * self.fixed[1]
        return max(items, 2)

    def _tiles(self, x, tile, count):
        """(items, 1, tile + 2r, c): each tile's input (zero-filled past the end) as one batch
        item; the items past the real ones (see ``_items``) copy the first or are zeros."""
        r = self.radius
        b, length, c = x.shape
        if x.stride(2) != 1 or x.stride(1) != c:
            x = x.contiguous()
        full = (length - 2 * r) // tile  # tiles whose input lies wholly in x
        items = b * count
        buf = x.new_empty((self._items(items), 1, tile + 2 * r, c))
        view = buf[:items].view(b, count, tile + 2 * r, c)
        if full:
            view[:, :full] = x.as_strided((b, full, tile + 2 * r, c), (x.stride(0), tile * c, c, 1),
                                          x.storage_offset())
        if count > full:
            rest = length - full * tile
            view[:, full, :rest] = x[:, full * tile:]
            view[:, full, rest:] = 0
        if self.fixed:
            buf[items:] = 0
        elif items == 1:
            buf[1] = buf[0]
        return buf


class Norm:
    """Inference batch norm as Keras computes it: x * inv + (beta - mean * inv)."""

    def __init__(self, bn, device):
        f32 = dict(device=device, dtype=torch.float32)
        inv = torch.rsqrt(bn.running_var.detach().to(**f32) + bn.eps) * bn.weight.detach().to(**f32)
        self.inv = inv.contiguous()
        self.shift = (bn.bias.detach().to(**f32) - bn.running_mean.detach().to(**f32) * inv).contiguous()

    @classmethod
    def stacked(cls, norms) -> "Norm":
        out = object.__new__(cls)
        out.inv = torch.cat([n.inv for n in norms]).contiguous()
        out.shift = torch.cat([n.shift for n in norms]).contiguous()
        return out

    def __call__(self, x):
        return (x * self.inv).add_(self.shift)  # two exactly rounded steps, never fused


class Stages:
    """What :meth:`InferenceNet.forward` keeps for the engine, indexed by stage."""

    def __init__(self, stem_output):
        self.raw = [stem_output.contiguous()]  # contiguous: the engine gathers flat rows
        self.inputs = [None]

    def add(self, input1, input2, output):
        self.raw += [None, output.contiguous()]
        self.inputs += [input1.contiguous(), input2.contiguous()]


def position_invariant(net: "InferenceNet", seed: int = 0) -> bool:
    """Probe this machine's kernels: does each distinct layer of ``net`` give a crop, alone or
    in a batch, the same bits as the whole sequence? (What the engine's exactness rests on;
    measured true here on 1-4 threads and with oneDNN limited to AVX-512, AVX2 or SSE4.1.)"""
    g = torch.Generator().manual_seed(seed)
    layers = {(c.kernel, c.dilation): c for _, c1, _, c2 in net.units for c in (c1, c2)}
    layers[(1, 1)] = net.stem_skip
    layers["head"] = net.head
    with torch.inference_mode():
        for conv in layers.values():
            r = conv.radius
            length = 4 * r + 700
            x = torch.rand(1, length, conv.in_channels, generator=g)
            x = x.to(conv.weight.device)
            full = conv(x)[0]
            for start, n, batch in ((r + 3, 1, 1), (r + 131, 257, 1), (2 * r, 64, 3)):
                crop = x[:, start - r:start + n + r].expand(batch, -1, -1).contiguous()
                y = conv(crop)
                if not all(torch.equal(y[b], full[start - r:start - r + n]) for b in range(batch)):
                    return False
        # the batched head and softmax: a window's probabilities whatever its batch-mates
        skips = torch.rand(3, 101, net.head.in_channels, generator=g).to(net.head.weight.device)
        together = net.probs(skips)
        if not all(torch.equal(together[b:b + 1], net.probs(skips[b:b + 1])) for b in range(3)):
            return False
    return True


def stack_identical(nets, stacked: "InferenceNet", seed: int = 0) -> bool:
    """Probe: does each layer of the stacked network give every member's channels the bits
    that member's own layer gives (grouped vs single convolutions, the batched head)?"""
    g = torch.Generator().manual_seed(seed)
    device = stacked.head.weight.device
    pairs = [(stacked.stem, [n.stem for n in nets]), (stacked.stem_skip, [n.stem_skip for n in nets])]
    seen = set()
    for i, unit in enumerate(stacked.units):
        for j in (1, 3):
            key = (unit[j].kernel, unit[j].dilation)
            if key not in seen:
                seen.add(key)
                pairs.append((unit[j], [n.units[i][j] for n in nets]))
    for i, conv in stacked.skips.items():
        pairs.append((conv, [n.skips[i] for n in nets]))
        break
    pairs.append((stacked.head, [n.head for n in nets]))
    with torch.inference_mode():
        for big, singles in pairs:
            r = big.radius
            width = singles[0].weight.shape[1]
            inputs = torch.rand(2, 2 * r + 300, big.in_channels, generator=g).to(device)
            y = big(inputs)
            out = singles[0].weight.shape[0]
            for j, single in enumerate(singles):
                x = inputs if big.groups == 1 else inputs[..., j * width:(j + 1) * width]
                if not torch.equal(y[..., j * out:(j + 1) * out], single(x.contiguous())):
                    return False
        skips = torch.rand(3, 101, nets[0].head.weight.shape[1] * len(nets),
                           generator=g).to(device)
        width = nets[0].head.weight.shape[1]
        together = stacked.member_probs(skips, (0.9, 1.1, 1.0))
        alone = [p for j, net in enumerate(nets)
                 for p in net.member_probs(skips[..., j * width:(j + 1) * width].contiguous(),
                                           (0.9, 1.1, 1.0))]
        if not all(torch.equal(a, b) for a, b in zip(together, alone)):
            return False
    return True


class InferenceNet:
    """A :class:`~spliceannot.models.network.SpliceNet`'s weights, frozen for tiled inference.

    Stage 0 is the stem; stages ``2i + 1`` and ``2i + 2`` are unit ``i``'s two convolutions.
    """

    def __init__(self, net, device=None):
        device = torch.device(device or next(net.parameters()).device)
        fixed = cuda_shapes() if device.type == "cuda" else None
        if device.type == "cuda":  # no autotuning by timing: one algorithm per shape, always
            torch.backends.cudnn.benchmark = False
            torch.backends.cudnn.deterministic = True
            fp32_on_cuda()
        config = net.config
        self.units_layout = [tuple(u) for u in config.units]
        self.radii = stage_radii(self.units_layout)
        self.context = config.context
        self.slope = config.relu_slope
        self.stem = Conv(net.stem, device, fixed)
        self.stem_skip = Conv(net.stem_skip, device, fixed)
        self.units = [(Norm(u.bn1, device), Conv(u.conv1, device, fixed), Norm(u.bn2, device),
                       Conv(u.conv2, device, fixed)) for u in net.units]
        self.skips = {int(i): Conv(c, device, fixed) for i, c in net.skips.items()}
        self.head = Conv(net.head, device, fixed)
        self.members = 1
        self._temperatures = {}
        self.count_into(Work())

    @classmethod
    def stacked(cls, nets) -> "InferenceNet":
        """Ensemble members of one layout as ONE network of ``members`` times the channels:
        every convolution a grouped one (one group per member), batch norms side by side, so
        each layer is one launch for all members. Member j's values are channels
        ``[j * W, (j + 1) * W)``; their bits equal the member's alone where
        :func:`stack_identical` says so (probed when an engine is built)."""
        first = nets[0]
        out = object.__new__(cls)
        out.units_layout, out.radii, out.context, out.slope = (first.units_layout, first.radii,
                                                               first.context, first.slope)
        out.stem = Conv.stacked([n.stem for n in nets], shared_input=True)
        out.stem_skip = Conv.stacked([n.stem_skip for n in nets], shared_input=False)
        out.units = [tuple(Norm.stacked(parts) if isinstance(parts[0], Norm)
                           else Conv.stacked(parts, shared_input=False)
                           for parts in zip(*(n.units[i] for n in nets)))
                     for i in range(len(first.units))]
        out.skips = {i: Conv.stacked([n.skips[i] for n in nets], shared_input=False)
                     for i in first.skips}
        out.head = Conv.stacked([n.head for n in nets], shared_input=False)
        out.members = len(nets)
        out._temperatures = {}
        out.count_into(Work())
        return out

    def convs(self) -> list:
        return [self.stem, self.stem_skip, *(c for u in self.units for c in u[1::2]),
                *self.skips.values(), self.head]

    def count_into(self, work: Work) -> "InferenceNet":
        """Count every convolution's multiply-adds into ``work`` (``self.work``)."""
        self.work = work
        for conv in self.convs():
            conv.work = work
        return self

    def set_fixed_shapes(self, fixed) -> "InferenceNet":
        """Run every convolution in one shape per layer (what CUDA does), or not (None)."""
        for conv in self.convs():
            conv.fixed = fixed
        return self

    def act(self, x):
        """In place: x is always a fresh tensor here."""
        return F.leaky_relu_(x, self.slope) if self.slope else torch.relu_(x)

    def activated(self, x, unit: int, which: int):
        """The input of unit ``unit``'s convolution ``which`` (1 or 2): act(bn(x)), pointwise."""
        return self.act(self.units[unit][2 * which - 2](x))

    def conv(self, unit: int, which: int) -> Conv:
        return self.units[unit][2 * which - 1]

    def forward(self, x, keep: bool = False):
        """One-hot x (B, L, 4) -> (skip sum (B, L - context, W), stages or None).

        With ``keep``, ``stages`` holds what the engine reads around an ALT: ``stages.raw[k]``,
        the output of even stage k (the stem, then each unit's), and ``stages.inputs[k]``, the
        activated input of stage k's convolution (k >= 1). Stage k's output is ``L - 2 *
        reach[k]`` long and starts at ``reach[k]`` of the input; an input of stage k lies where
        stage k - 1's output does."""
        hc = self.context // 2
        length = x.shape[1]
        cur = self.stem(x)
        stages = Stages(cur) if keep else None
        skip = self.stem_skip(cur[:, hc:length - hc])
        reach = 0
        for i in range(len(self.units)):
            r = self.radii[2 * i + 1]
            a1 = self.activated(cur, i, 1)
            a2 = self.activated(self.conv(i, 1)(a1), i, 2)
            cur = self.conv(i, 2)(a2).add_(cur[:, 2 * r:cur.shape[1] - 2 * r])
            reach += 2 * r
            if keep:
                stages.add(a1, a2, cur)
            if i in self.skips:
                skip = skip.add_(self.skips[i](cur[:, hc - reach:length - hc - reach]))
        return skip, stages

    def probs(self, skip, temperatures=None):
        """Skip sums of B windows (B, n, W) -> probabilities (B, n, 3), or (B, n, members, 3)
        for a stacked network: one launch for the batch, each window's values the same bits
        as alone (probed)."""
        logits = self.head(skip).float()
        if temperatures is not None:
            logits = logits / self._temperature_tensor(temperatures, logits)
        if self.members > 1:
            logits = logits.reshape(*logits.shape[:-1], self.members, -1)
        return torch.softmax(logits.contiguous(), dim=-1)

    def member_probs(self, skip, temperatures=None) -> list:
        """Each member's probabilities (B, n, 3), in member order: what a model's ``combine``
        takes (:func:`mean_of` for SpliceAI-family ensembles)."""
        p = self.probs(skip, temperatures)
        return [p] if self.members == 1 else [p[..., j, :] for j in range(self.members)]

    def _temperature_tensor(self, temperatures, like):
        """Per-class temperatures, repeated per member, on the device once (not per call)."""
        key = (tuple(temperatures), like.device, like.dtype)
        if key not in self._temperatures:
            self._temperatures[key] = torch.as_tensor(
                list(temperatures) * self.members, dtype=like.dtype, device=like.device)
        return self._temperatures[key]


def predict_windows(nets, x, temperatures=None, combine=None):
    """Whole windows x (B, L, 4) on ``nets``' device -> what ``combine`` (the model's
    :meth:`~spliceannot.models.Model.combine`; default :func:`mean_of`) makes of the members'
    outputs: for SpliceAI-family ensembles (B, L - context, 3), softmaxes summed in member order
    and divided by the member count, as :meth:`spliceannot.models.EnsembleModel.predict`
    defines them."""
    if x.is_cuda:
        fp32_on_cuda()
    outputs = [p for net in nets for p in net.member_probs(net.forward(x)[0], temperatures)]
    return (combine or mean_of)(outputs)


def mean_of(outputs: list):
    """The ensemble mean: members' outputs summed in member order, then :func:`ensemble_mean`;
    the engine, the per-window path and ``Model.combine`` all use this one expression."""
    total = outputs[0]
    for p in outputs[1:]:
        total = total + p
    return ensemble_mean(total, len(outputs))


def ensemble_mean(total, members: int):
    """The one expression both paths divide by (a CUDA division by a host scalar is a
    multiplication by its reciprocal: the same everywhere only if written once)."""
    return total / np.float32(members)
