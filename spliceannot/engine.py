"""The fast exact inference engine: shared REF tracks, cone-restricted ALTs, batched across variants.

Given delta-score tasks (REF and ALT one-hot windows), it returns the same (n, 3) probability
tracks as ``EnsembleModel.predict`` on each window alone -- bit for bit on CPU, so every DS and DP
string equals the ``delta`` scorer's. How (see :mod:`spliceannot.cone` for the geometry):

* One REF track per (contig, strand, transcript ends) and stretch of nearby windows; each stage
  is computed once on the union of the windows' backward cones, equal-length tracks in one batch.
* Each ALT recomputes stage k only on its forward cone within the backward cone of its +-D
  outputs, reading the rest from the REF track; ALTs of equal geometry run as one batch.
* Member networks run one after another and their softmaxes are summed in member order, exactly
  as ``EnsembleModel.predict`` does.

Exactness is bought by running the very kernels the reference path runs, on crops whose outputs
those kernels compute identically. Measured on this CPU build (torch 2.13, oneDNN 3.12), not
assumed:

* oneDNN's direct convolution gives the same bits for an output position whatever the sequence
  length or batch, *if* it runs with padding: an unpadded ("valid") convolution of the same crop
  differs in the last bits. Crops are therefore convolved with ``padding=dilation`` (cheap: the
  2*dilation edge outputs are discarded); ``padding=1`` already differs for dilation >= 10.
  Two more shape effects of oneDNN's blocking were found by scanning every width: crops whose
  output is narrower than ~1.2x the kernel extent (k=41, d=25) differ, and batch-1 calls on 2
  threads differ up to ~2.4x the extent (the width is split between threads). So crops are
  zero-extended to twice the extent, and batch-1 calls run as batch 2.
* PyTorch sends a batch-1 convolution of <= 20,480 input elements, and a 1x1 convolution on one
  thread, to its native kernels instead of oneDNN. The reference path always runs batch 1, so
  every 1x1 convolution here runs as one flattened batch-1 call (padded above that size where
  the reference used oneDNN), and dilated ones never run batch 1 below it.
* Batch-norm and the elementwise ops give equal bits only on contiguous inputs, so crops are
  made contiguous. The head, softmax and ensemble mean run per window with the reference's
  exact shapes.
* BN folding is not used: only bn2 can fold (into conv1; bn1 sits on the residual sum, before a
  ReLU), and folding it moved ensemble probabilities by up to 1.7e-7 (7.5e-6 relative on
  p < 1e-3) on two chr16 windows -- enough to flip DP of near-zero channels, so rejected without
  counting strings. Stacking members as one grouped convolution gave identical bits for a
  k=41 convolution of two members, but is not used yet (members run one after another).

On CUDA the same code runs, but cuDNN picks algorithms by shape, so equality with the reference
path there is tested (``-m gpu``), not guaranteed. ``bf16``/``fp16`` (autocast) and ``tf32`` trade
exactness for speed; on CPU ``tf32`` is plain fp32.
"""

import copy
import time
from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F

from .cone import Alt, Cone, build_tracks, split_alt, stage_radii

# aten/src/ATen/native/ConvUtils.h: batch-1 float CPU convolutions go to oneDNN only above this.
MKLDNN_MIN_NUMEL = 20480
# oneDNN's blocking of narrow outputs differs in the last bits (measured: up to 1.2x the kernel
# extent for k=41, d=25), so narrower crops are widened to this many times the extent.
MIN_WIDTH_PER_EXTENT = 2
PRECISIONS = ("fp32", "tf32", "bf16", "fp16")


def resolve_device(device: str) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available")
    return torch.device(device)


class Engine:
    """Runs an :class:`~spliceannot.model.EnsembleModel`'s networks the fast, exact way."""

    def __init__(self, model, batch_size: int = 16, precision: str = "fp32", device: str = "cpu",
                 span: int = 2048, track_positions: int = 40_000):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.device = resolve_device(device)
        nets = model.networks()
        if self.device.type != "cpu" or next(nets[0].parameters()).device != self.device:
            nets = [copy.deepcopy(n).to(self.device).eval() for n in nets]
        self.nets = nets
        units = [tuple(u) for u in nets[0].config.units]
        if any([tuple(u) for u in n.config.units] != units for n in nets):
            raise ValueError("ensemble members differ in layout")
        self.radii = stage_radii(units)
        self.context = model.context
        if 2 * sum(self.radii) != self.context:
            raise ValueError(f"model context {self.context} != network receptive field")
        self.temperatures = model.temperatures
        self.batch_size = max(1, int(batch_size))
        self.precision = precision
        self.span = span
        self.track_positions = track_positions
        self.stats = Counter()  # seconds and window counts, for the run summary

    # ---- public -------------------------------------------------------------------------------

    def predict(self, items) -> list:
        """items: (task, chrom, pos) per delta Task -> [(y_ref, y_alt)] in the same order, each
        (n, 3) float32 in strand orientation, as ``model.predict`` gives for one window."""
        if not items:
            return []
        wid = len(items[0][0].x_ref)
        half = wid // 2
        entries = []
        for i, (task, chrom, pos) in enumerate(items):
            if len(task.x_ref) != wid:
                raise ValueError("all windows of one call must have the same width")
            strand = task.gene.strand
            a, b, m = split_alt(task.x_ref, task.x_alt, task.ref_len, len(task.alt), strand)
            start = pos - half if strand == "+" else -(pos + half)
            key = (chrom, strand, task.gene.tx_start, task.gene.tx_end)
            entries.append((key, start, task.x_ref, Alt(i, a, b, m)))
        tracks = build_tracks(entries, wid, self.span)
        results = [[None, None] for _ in items]
        for batch in self._track_batches(tracks):
            self._run(batch, wid, results)
        return [tuple(r) for r in results]

    # ---- batching -----------------------------------------------------------------------------

    def _track_batches(self, tracks):
        """Equal-length tracks together, at most ``track_positions`` positions per batch."""
        by_len = {}
        for t in tracks:
            by_len.setdefault(t.length, []).append(t)
        for length, group in sorted(by_len.items()):
            per = max(1, self.track_positions // length)
            for i in range(0, len(group), per):
                yield group[i:i + per]

    def _autocast(self):
        if self.precision in ("bf16", "fp16"):
            dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
            return torch.autocast(self.device.type, dtype=dtype)
        return torch.autocast(self.device.type, enabled=False)

    def _run(self, tracks, wid, results):
        dev = self.device
        x = torch.from_numpy(np.stack([t.onehot() for t in tracks])).to(dev)
        x = x.transpose(1, 2).contiguous()  # (T, 4, track length)
        alts, ref_windows = [], {}
        for ti, t in enumerate(tracks):
            for alt in t.alts:
                alt.track = ti
                alts.append(alt)
                ref_windows.setdefault((ti, alt.offset), []).append(alt.index)
        groups = {}
        for alt in alts:
            groups.setdefault(alt.geometry, []).append(alt)
        cones = {g: Cone(self.radii, wid, *g) for g in groups}
        cov = wid - self.context
        ref_total, alt_total = {}, {}
        self._set_tf32()
        with torch.inference_mode(), self._autocast():
            for net in self.nets:
                started = time.perf_counter()
                stages, skip = self._ref_pass(net, x)
                for (ti, off) in ref_windows:
                    s = skip[ti:ti + 1, :, off:off + cov].contiguous()
                    self._accumulate(ref_total, (ti, off), self._probs(net, s))
                self.stats["ref seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                for geometry, group in groups.items():
                    for i in range(0, len(group), self.batch_size):
                        sub = group[i:i + self.batch_size]
                        s_alt = self._alt_pass(net, stages, sub, cones[geometry])
                        for j, alt in enumerate(sub):
                            self._accumulate(alt_total, alt.index, self._probs(net, s_alt[j:j + 1]))
                self.stats["alt seconds"] += time.perf_counter() - started
                del stages, skip
        n = np.float32(len(self.nets))
        for key, indices in ref_windows.items():
            y = self._mean(ref_total[key], n)
            for i in indices:
                results[i][0] = y
        for alt in alts:
            results[alt.index][1] = self._mean(alt_total[alt.index], n)
        self.stats["tracks"] += len(tracks)
        self.stats["ref windows"] += len(ref_windows)
        self.stats["alt windows"] += len(alts)

    def _set_tf32(self):
        if self.device.type == "cuda":
            allow = self.precision == "tf32"
            torch.backends.cudnn.allow_tf32 = allow
            torch.backends.cuda.matmul.allow_tf32 = allow

    # ---- the ensemble tail, as EnsembleModel.predict ------------------------------------------

    def _probs(self, net, s):
        """s: (1, W, n) skip sum of one window's outputs -> (1, 3, n) probabilities."""
        logits = F.conv1d(s, net.head.weight, net.head.bias).float()  # no-op in fp32
        if self.temperatures is not None:
            t = torch.as_tensor(self.temperatures, dtype=logits.dtype, device=logits.device)
            logits = logits / t.view(1, -1, 1)
        return torch.softmax(logits, dim=1)

    @staticmethod
    def _accumulate(totals, key, p):
        totals[key] = p if key not in totals else totals[key] + p

    @staticmethod
    def _mean(total, n):
        return (total / n).transpose(1, 2).float().cpu().numpy()[0]

    # ---- kernels, called the way the reference path calls them --------------------------------

    def _pointwise(self, x, conv):
        """1x1 convolution of (B, C, L) as one batch-1 call over B * L positions."""
        b, c, length = x.shape
        flat = x if b == 1 else x.transpose(0, 1).reshape(1, c, b * length)
        n = b * length
        if self.device.type == "cpu" and torch.get_num_threads() > 1 and c * n <= MKLDNN_MIN_NUMEL:
            flat = F.pad(flat, (0, MKLDNN_MIN_NUMEL // c + 1 - n))  # the reference used oneDNN
        y = F.conv1d(flat, conv.weight, conv.bias)[:, :, :n]
        if b == 1:
            return y.contiguous()
        return y.reshape(-1, b, length).transpose(0, 1).contiguous()

    def _conv(self, x, conv):
        """Dilated convolution of x (B, C, n + 2r) -> its n interior outputs (B, C', n)."""
        r, d = conv.padding[0], conv.dilation[0]
        b = x.shape[0]
        n = x.shape[2] - 2 * r
        if self.device.type == "cpu":
            wide = MIN_WIDTH_PER_EXTENT * (2 * r + 1)
            if n < wide:  # zeros beyond the halo touch only discarded outputs
                x = F.pad(x, (0, wide - n))
            if b == 1:  # batch 1 lets oneDNN split the width between threads
                x = torch.cat([x, x])
        y = F.conv1d(x, conv.weight, conv.bias, dilation=d, padding=d)
        return y[:b, :, d:d + n].contiguous()

    @staticmethod
    def _act(x, unit):
        slope = getattr(unit, "slope", 0.0)
        return F.leaky_relu(x, slope) if slope else torch.relu(x)

    # ---- the two passes -----------------------------------------------------------------------

    def _ref_pass(self, net, x):
        """Every stage of the REF tracks on their backward cones; stage k starts at reach[k]."""
        hc = self.context // 2
        length = x.shape[2]
        cur = self._pointwise(x, net.stem)
        stages = [cur]
        skip = self._pointwise(cur[:, :, hc:length - hc].contiguous(), net.stem_skip)
        reach = 0
        for i, unit in enumerate(net.units):
            r = self.radii[2 * i + 1]
            h = self._conv(self._act(unit.bn1(cur), unit), unit.conv1)
            y = self._conv(self._act(unit.bn2(h), unit), unit.conv2)
            cur = y + cur[:, :, 2 * r:cur.shape[2] - 2 * r]
            reach += 2 * r
            stages += [h, cur]
            if str(i) in net.skips:
                term = self._pointwise(cur[:, :, hc - reach:length - hc - reach].contiguous(),
                                       net.skips[str(i)])
                skip = skip + term
        return stages, skip

    def _alt_pass(self, net, stages, sub, cone):
        """Skip sums (B, W, n_alt) of a batch of ALTs of one geometry."""
        dev = self.device
        reach = cone.reach
        tb = torch.tensor([a.track for a in sub], device=dev)
        off = np.array([a.offset for a in sub])

        def assemble(k, patch, q0, q1):
            ref = stages[k]
            lo, hi = cone.spans[k]
            j = np.arange(q0, q1)
            idx = off[:, None] + cone.ref_index(j)[None, :] - reach[k]
            p0, p1 = max(lo, q0), min(hi, q1)
            outside = np.concatenate([idx[:, :max(p0 - q0, 0)], idx[:, max(p1 - q0, 0):]], axis=1)
            if outside.size and (outside.min() < 0 or outside.max() >= ref.shape[2]):
                raise AssertionError("ALT cone reads outside its REF track")
            np.clip(idx, 0, ref.shape[2] - 1, out=idx)
            out = ref[tb[:, None], :, torch.from_numpy(idx).to(dev)].permute(0, 2, 1).contiguous()
            if p0 < p1:
                out[:, :, p0 - q0:p1 - q0] = patch[:, :, p0 - lo:p1 - lo]
            return out

        m = torch.from_numpy(np.stack([a.m for a in sub])).to(dev).transpose(1, 2).contiguous()
        x_patch = self._pointwise(m, net.stem)  # stage 0 differs only on the ALT bases
        skip = self._pointwise(assemble(0, x_patch, *cone.out), net.stem_skip)
        for i, unit in enumerate(net.units):
            k1, k2 = 2 * i + 1, 2 * i + 2
            r = self.radii[k1]
            lo, hi = cone.spans[k1]
            h = self._conv(self._act(unit.bn1(assemble(k1 - 1, x_patch, lo - r, hi + r)), unit),
                           unit.conv1)
            lo, hi = cone.spans[k2]
            y = self._conv(self._act(unit.bn2(assemble(k1, h, lo - r, hi + r)), unit), unit.conv2)
            x_patch = y + assemble(k1 - 1, x_patch, lo, hi)
            if str(i) in net.skips:
                skip = skip + self._pointwise(assemble(k2, x_patch, *cone.out), net.skips[str(i)])
        return skip
