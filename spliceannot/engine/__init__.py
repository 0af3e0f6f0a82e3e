"""The fast exact inference engine: shared REF tracks, cone-restricted ALTs, batched across variants.

Given delta-score tasks (REF and ALT one-hot windows), it returns the same (n, 3) probability
tracks as ``EnsembleModel.predict`` on each window alone -- bit for bit, so every DS and DP string
equals the ``delta`` scorer's. How (see :mod:`spliceannot.engine.cone` for the geometry):

* One REF track per (contig, strand, N-masking inside the window) and stretch of nearby windows;
  each stage is computed once on the union of the windows' backward cones, equal-length tracks in
  one batch. Genes masked alike (overlapping, same strand) share REF and identical ALT windows.
* Each ALT recomputes stage k only on its forward cone within the backward cone of its +-D
  outputs, reading the rest from the REF track; ALTs of equal geometry run as one batch.
* Member networks run one after another (streamed: one member's stages in memory at a time) and
  their softmaxes are summed in member order, exactly as ``EnsembleModel.predict`` does. The
  head and softmax run once per member for all REF windows of a track batch and once per ALT
  batch, not per window.

Exactness comes from :mod:`spliceannot.engine.inference`, which both paths run: its tiled
convolutions give an output the same bits whatever crop, batch or place computes it, so a cone
computed here equals the whole window's values, and its batched head gives a window the bits it
gets alone. That property is probed on each machine when an engine is built
(:func:`~spliceannot.engine.inference.position_invariant`, ~15 ms); where it fails, ``exact`` is False
and the fast scorer runs the per-window path instead on CPU, so a number never differs. (Why BN
is not folded and members are not stacked: :mod:`spliceannot.engine.inference`, benchmarks/RESULTS.md.)

On CUDA cuDNN runs deterministic and in fp32, and the probe runs on the device; where it fails,
every convolution is switched to one fixed shape per layer and probed again, and where that
fails too the engine computes each window whole on the device (:attr:`Engine.whole_windows`). Host arrays go
up through pinned memory, asynchronously, and track batches are sized to the free GPU memory.
``bf16``/``fp16`` (autocast) and ``tf32`` trade exactness for speed; on CPU ``tf32`` is plain
fp32.
"""

import time
from collections import Counter

import numpy as np
import torch

from .cone import Alt, Cone, build_tracks, split_alt
from .inference import CUDA_SHAPES, position_invariant, predict_windows

PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
EXACT_PRECISIONS = ("fp32", "tf32")  # tf32 is plain fp32 on CPU


def resolve_device(device: str) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available")
    return torch.device(device)


class Engine:
    """Runs an :class:`~spliceannot.models.EnsembleModel`'s networks the fast, exact way."""

    def __init__(self, model, batch_size: int = 16, precision: str = "fp32", device: str = "cpu",
                 span: int = 2048, track_positions: int = 40_000):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.device = resolve_device(device)
        nets = model.networks()
        if next(nets[0].parameters()).device == self.device:
            self.nets = model.inference_nets()
        else:
            self.nets = [model.inference_net(n, self.device) for n in nets]
        layout = self.nets[0].units_layout
        if any(n.units_layout != layout for n in self.nets):
            raise ValueError("ensemble members differ in layout")
        self.radii = self.nets[0].radii
        self.context = model.context
        if 2 * sum(self.radii) != self.context:
            raise ValueError(f"model context {self.context} != network receptive field")
        # Exact only in fp32 and where this machine's kernels are position-invariant (probed).
        self.exact = precision in EXACT_PRECISIONS and position_invariant(self.nets[0])
        if self.device.type == "cuda" and precision in EXACT_PRECISIONS and not self.exact:
            for net in self.nets:  # one shape per layer, then probe again
                net.set_fixed_shapes(CUDA_SHAPES)
            self.exact = position_invariant(self.nets[0])
        self.temperatures = model.temperatures
        self.combine = model.combine  # members' outputs -> the model's (a mean for SpliceAI)
        self.batch_size = max(1, int(batch_size))
        self.precision = precision
        self.span = span
        self.track_positions = track_positions
        if self.device.type == "cuda":
            # stages kept per position: about 2 tensors of ``width`` floats per stage
            width = self.nets[0].head.weight.shape[1]
            per_position = 2 * len(self.radii) * width * 4 * 2
            free = torch.cuda.mem_get_info(self.device)[0]
            self.track_positions = max(track_positions, min(int(0.3 * free) // per_position,
                                                            4_000_000))
        self.stats = Counter()  # seconds and window counts, for the run summary

    # ---- public -------------------------------------------------------------------------------

    @property
    def whole_windows(self) -> bool:
        """True on CUDA where exactness was asked for but the probe failed: :meth:`predict`
        then runs each window whole on the device (the per-window path, slower, exact)."""
        return (self.device.type == "cuda" and self.precision in EXACT_PRECISIONS
                and not self.exact)

    @property
    def defers_to_per_window(self) -> bool:
        """True where exactness was asked for (fp32 on CPU) but the probe failed: the caller must
        run the per-window path instead of this engine."""
        return (self.device.type == "cpu" and self.precision in EXACT_PRECISIONS
                and not self.exact)

    def predict(self, tasks) -> list:
        """delta Tasks -> [(y_ref, y_alt)] in the same order, each (n, 3) float32 in strand
        orientation, as ``model.predict`` gives for one window. Each task's own geometry (window
        start, masking key, REF/ALT lengths) places it; ``(task, chrom, pos)`` tuples are also
        taken, their chrom and pos ignored."""
        tasks = [t[0] if isinstance(t, tuple) else t for t in tasks]
        if not tasks:
            return []
        wid = len(tasks[0].x_ref)
        entries = []
        for i, task in enumerate(tasks):
            if len(task.x_ref) != wid:
                raise ValueError("all windows of one call must have the same width")
            a, b, m = split_alt(task.x_ref, task.x_alt, task.ref_len, task.alt_len,
                                task.gene.strand)
            entries.append((task.mask_key, task.start, task.x_ref, Alt(i, a, b, m)))
        if self.whole_windows:
            return self._whole_windows(tasks)
        tracks = build_tracks(entries, wid, self.span)
        results = [[None, None] for _ in tasks]
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

    def _upload(self, array):
        """Host array -> device tensor; on CUDA through pinned memory, asynchronously."""
        t = torch.from_numpy(np.ascontiguousarray(array))
        if self.device.type == "cuda":
            return t.pin_memory().to(self.device, non_blocking=True)
        return t

    def _run(self, tracks, wid, results):
        x = self._upload(np.stack([t.onehot() for t in tracks]))  # (T, length, 4)
        ref_windows, copies = {}, {}
        for ti, t in enumerate(tracks):
            for alt in t.alts:
                alt.track = ti
                ref_windows.setdefault((ti, alt.offset), []).append(alt.index)
                # the same ALT window twice (genes masked alike): computed once
                copies.setdefault((ti, alt.offset, alt.geometry, alt.m.tobytes()), []).append(alt)
        groups, twins = {}, {}
        for first, *rest in copies.values():
            groups.setdefault(first.geometry, []).append(first)
            twins[id(first)] = (first, *rest)
        cones = {g: Cone(self.radii, wid, *g) for g in groups}
        batches = [(cones[g], group[i:i + self.batch_size]) for g, group in groups.items()
                   for i in range(0, len(group), self.batch_size)]
        cov = wid - self.context
        keys = list(ref_windows)
        length = x.shape[1] - self.context
        ti, off = (np.array([k[i] for k in keys]) for i in (0, 1))
        ref_rows = self._upload(((ti * length + off)[:, None] + np.arange(cov)[None]).ravel())
        # One head + softmax launch per member for all REF windows, and one per ALT batch.
        ref_outs, alt_outs = [], [[] for _ in batches]
        self._set_tf32()
        with torch.inference_mode(), self._autocast():
            for net in self.nets:
                started = time.perf_counter()
                skip, stages = net.forward(x, keep=True)
                s = skip.reshape(-1, skip.shape[2]).index_select(0, ref_rows)
                p = net.probs(s.view(len(keys), cov, -1), self.temperatures)
                ref_outs.append(p)
                self.stats["ref seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                for j, (cone, sub) in enumerate(batches):
                    p = net.probs(self._alt_pass(net, stages, sub, cone), self.temperatures)
                    alt_outs[j].append(p)
                self.stats["alt seconds"] += time.perf_counter() - started
                del stages, skip
        y_ref = self.combine(ref_outs).float().cpu().numpy()
        for k, key in enumerate(keys):
            for i in ref_windows[key]:
                results[i][0] = y_ref[k]
        for (_, sub), outs in zip(batches, alt_outs):
            y_alt = self.combine(outs).float().cpu().numpy()
            for b, first in enumerate(sub):
                for alt in twins[id(first)]:
                    results[alt.index][1] = y_alt[b]
        self.stats["tracks"] += len(tracks)
        self.stats["ref windows"] += len(ref_windows)
        self.stats["alt windows"] += len(copies)

    def _whole_windows(self, items):
        """The per-window path on this device: each REF (once per ``ref_key``) and ALT alone."""
        refs, out = {}, []
        self._set_tf32()
        with torch.inference_mode():
            for task in items:
                if task.ref_key not in refs:
                    refs[task.ref_key] = self._window(task.x_ref)
                out.append((refs[task.ref_key], self._window(task.x_alt)))
        self.stats["whole windows"] += len(refs) + len(items)
        return out

    def _window(self, x):
        xt = self._upload(np.asarray(x, dtype=np.float32)[None])
        return predict_windows(self.nets, xt, self.temperatures,
                               self.combine).float().cpu().numpy()[0]

    def _set_tf32(self):
        if self.device.type == "cuda":
            allow = self.precision == "tf32"
            torch.backends.cudnn.allow_tf32 = allow
            torch.backends.cuda.matmul.allow_tf32 = allow

    # ---- the ALT pass -------------------------------------------------------------------------

    def _alt_pass(self, net, stages, sub, cone):
        """Skip sums (B, n_out, W) of a batch of ALTs of one geometry."""
        reach = cone.reach
        off = np.array([a.offset for a in sub], dtype=np.int64)
        # Row indices are built on the device from per-ALT and per-position vectors: host work
        # per stage is O(positions), not O(batch x positions) (the host was the bottleneck).
        track_t = self._upload(np.array([a.track for a in sub], dtype=np.int64))
        off_t = self._upload(off)

        def assemble(ref, k, patch, span, q0, q1):
            """ALT positions [q0, q1) of a tensor laid out like stage k (REF rows from ``ref``,
            which starts at reach[k]), with ``patch`` on its ``span``."""
            lo, hi = span
            length = ref.shape[1]
            col = cone.ref_index(np.arange(q0, q1, dtype=np.int64)) - reach[k]  # + the offset
            p0, p1 = max(lo, q0), min(hi, q1)
            outside = np.concatenate([col[:max(p0 - q0, 0)], col[max(p1 - q0, 0):]])
            if outside.size and (off.min() + outside.min() < 0
                                 or off.max() + outside.max() >= length):
                raise AssertionError("ALT cone reads outside its REF track")
            idx = (off_t[:, None] + self._upload(col)[None, :]).clamp_(0, length - 1)
            rows = (track_t[:, None] * length + idx).view(-1)
            out = ref.reshape(-1, ref.shape[2]).index_select(0, rows).view(len(sub), q1 - q0, -1)
            if p0 < p1:
                out[:, p0 - q0:p1 - q0] = patch[:, p0 - lo:p1 - lo]
            return out

        spans, raw, inputs = cone.spans, stages.raw, stages.inputs
        m = self._upload(np.stack([a.m for a in sub]))  # (B, len, 4)
        x_patch = net.stem(m)  # stage 0 differs only on the ALT bases
        skip = net.stem_skip(assemble(raw[0], 0, x_patch, spans[0], *cone.out))
        for i in range(len(net.units)):
            k1, k2 = 2 * i + 1, 2 * i + 2
            r = self.radii[k1]
            # Pointwise steps run on the patch alone; the REF's activated inputs are kept.
            lo, hi = spans[k1]
            a1 = assemble(inputs[k1], k1 - 1, net.activated(x_patch, i, 1), spans[k1 - 1],
                          lo - r, hi + r)
            h = net.conv(i, 1)(a1)
            lo, hi = spans[k2]
            a2 = assemble(inputs[k2], k1, net.activated(h, i, 2), spans[k1], lo - r, hi + r)
            x_patch = net.conv(i, 2)(a2).add_(assemble(raw[k1 - 1], k1 - 1, x_patch,
                                                        spans[k1 - 1], lo, hi))
            if i in net.skips:
                skip = skip.add_(net.skips[i](assemble(raw[k2], k2, x_patch, spans[k2],
                                                       *cone.out)))
        return skip
