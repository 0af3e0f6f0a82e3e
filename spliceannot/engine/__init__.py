"""The fast exact inference engine: shared REF tracks, cone-restricted ALTs, batched across variants.

Given delta-score tasks (REF and ALT one-hot windows), it returns the same (n, 3) probability
tracks as ``EnsembleModel.predict`` on each window alone -- bit for bit, so every DS and DP string
equals the ``delta`` scorer's. How (see :mod:`spliceannot.engine.cone` for the geometry):

* One REF track per (contig, strand, N-masking inside the window) and stretch of nearby windows;
  each stage is computed once on the union of the windows' backward cones, equal-length tracks in
  one batch. Genes masked alike (overlapping, same strand) share REF and identical ALT windows.
* Each ALT recomputes stage k only on its forward cone within the backward cone of its +-D
  outputs, reading the rest from the REF track. ALTs of every geometry (SNVs, insertions,
  deletions, both strands) run as one batch on the union of their cones
  (:class:`~spliceannot.engine.cone.ConeBatch`): one shape per stage, one launch per layer;
  the REF rows the whole pass reads are indexed on the device at once.
* The members run as ONE network of grouped convolutions (:meth:`InferenceNet.stacked`: 5x
  fewer launches), where a probe at build finds each member's channels with its own bits
  (:func:`~spliceannot.engine.inference.stack_identical`); else one after another. Softmaxes
  are summed in member order, exactly as ``EnsembleModel.predict`` does. The head and softmax
  run once for all REF windows of a track batch and once per ALT batch, not per window.

Exactness comes from :mod:`spliceannot.engine.inference`, which both paths run: its tiled
convolutions give an output the same bits whatever crop, batch or place computes it, so a cone
computed here equals the whole window's values, and its batched head gives a window the bits it
gets alone. That property is probed on each machine when an engine is built
(:func:`~spliceannot.engine.inference.position_invariant`, ~15 ms); where it fails, ``exact`` is False
and the fast scorer runs the per-window path instead on CPU, so a number never differs. (Why BN
is not folded: :mod:`spliceannot.engine.inference`, benchmarks/RESULTS.md.)

On CUDA cuDNN runs deterministic and in fp32, and the probe runs on the device; where it fails,
every convolution is switched to one fixed shape per layer and probed again, and where that
fails too the engine computes each window whole on the device (:attr:`Engine.whole_windows`). Host arrays go
up through pinned memory, asynchronously, and track batches are sized to the free GPU memory.
``bf16``/``fp16`` (autocast) and ``tf32`` trade exactness for speed; on CPU ``tf32`` is plain
fp32.
"""

import os
import time
from collections import Counter

import numpy as np
import torch

from .cone import Alt, ConeBatch, build_tracks, split_alt
from .inference import (CUDA_SHAPES, InferenceNet, position_invariant, predict_windows,
                        stack_identical)

PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
EXACT_PRECISIONS = ("fp32", "tf32")  # tf32 is plain fp32 on CPU


def resolve_device(device: str) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available")
    return torch.device(device)


def default_threads() -> int:
    """Torch's CPU threads when ``--threads`` is not given: the CPUs this process may use, at
    most 4. Torch's own default (every core) oversubscribes a shared node or a batch slot."""
    try:
        free = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        free = os.cpu_count() or 1
    return max(1, min(4, free))


def set_threads(threads=None) -> int:
    """Set torch's intra-op threads to ``threads`` (default :func:`default_threads`)."""
    threads = threads or default_threads()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


class Engine:
    """Runs an :class:`~spliceannot.models.EnsembleModel`'s networks the fast, exact way."""

    def __init__(self, model, batch_size: int = 16, precision: str = "fp32", device: str = "cpu",
                 span: int = 2048, track_positions: int | None = None, stack: bool = True):
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
        # The members as one grouped network (one launch per layer for all), where this
        # machine gives each member's channels the member's own bits (probed); else one by one.
        # Members with a head of their own (a backend's InferenceNet subclass) run one by one.
        self.runners = self.nets
        if len(self.nets) > 1 and stack and all(type(n) is InferenceNet for n in self.nets):
            stacked = InferenceNet.stacked(self.nets)
            if stack_identical(self.nets, stacked) and (
                    not self.exact or position_invariant(stacked)):
                self.runners = [stacked]
        self.temperatures = model.temperatures
        self.combine = model.combine  # members' outputs -> the model's (a mean for SpliceAI)
        self.batch_size = max(1, int(batch_size))
        self.precision = precision
        self.span = span
        if track_positions is None:  # CPU: the REF stages of ~40,000 positions of one member
            track_positions = 40_000 // self.runners[0].members
        self.track_positions = track_positions
        if self.device.type == "cuda":
            # stages kept per position: about 2 tensors of ``width`` floats per stage
            width = self.nets[0].head.weight.shape[1] * self.runners[0].members
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

    def _download(self, tensor) -> np.ndarray:
        """Device tensor -> host float32 array (one transfer)."""
        return tensor.float().cpu().numpy()

    def _run(self, tracks, wid, results):
        onehot = np.stack([t.onehot() for t in tracks])  # (T, length, 4)
        x = self._upload(onehot)
        ref_windows, copies = {}, {}
        for ti, t in enumerate(tracks):
            for alt in t.alts:
                alt.track = ti
                ref_windows.setdefault((ti, alt.offset), []).append(alt.index)
                # the same ALT window twice (genes masked alike): computed once
                copies.setdefault((ti, alt.offset, alt.geometry, alt.m.tobytes()), []).append(alt)
        # ALTs of every geometry batch together (sorted, so a batch's union cone stays tight)
        firsts = sorted((group[0] for group in copies.values()),
                        key=lambda alt: (alt.geometry, alt.track, alt.offset))
        twins = {id(group[0]): group for group in copies.values()}
        batches = [firsts[i:i + self.batch_size] for i in range(0, len(firsts), self.batch_size)]
        cov = wid - self.context
        keys = list(ref_windows)
        length = x.shape[1] - self.context
        ti, off = (np.array([k[i] for k in keys]) for i in (0, 1))
        ref_rows = self._upload(((ti * length + off)[:, None] + np.arange(cov)[None]).ravel())
        # One head + softmax launch per runner for all REF windows, and one per ALT batch.
        ref_parts, alt_parts = [], [[] for _ in batches]  # members' outputs, in member order
        cones = [None] * len(batches)
        self._set_tf32()
        with torch.inference_mode(), self._autocast():
            for net in self.runners:
                started = time.perf_counter()
                skip, stages = net.forward(x, keep=True)
                s = skip.reshape(-1, skip.shape[2]).index_select(0, ref_rows)
                ref_parts += net.member_probs(s.view(len(keys), cov, -1), self.temperatures)
                self.stats["ref seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                for j, sub in enumerate(batches):
                    cone, skip = self._alt_pass(net, stages, sub, wid, onehot)
                    cones[j] = cone
                    alt_parts[j] += net.member_probs(skip, self.temperatures)
                self.stats["alt seconds"] += time.perf_counter() - started
                del stages, skip
        y_ref = self._download(self.combine(ref_parts))
        for k, key in enumerate(keys):
            for i in ref_windows[key]:
                results[i][0] = y_ref[k]
        for sub, cone, parts in zip(batches, cones, alt_parts):
            y_alt = self._download(self.combine(parts))
            for b, first in enumerate(sub):
                y = y_alt[b, cone.crop[b]:cone.crop[b] + cone.n_out[b]]
                for alt in twins[id(first)]:
                    results[alt.index][1] = y
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

    def _alt_pass(self, net, stages, sub, wid, onehot):
        """(cone, skip sums (B, n_out, W)) of a batch of ALTs of any geometries: every stage on
        the batch's union cone (:class:`~spliceannot.engine.cone.ConeBatch`), one launch per
        layer for the batch. The REF rows every stage reads are indexed on the device in one go
        from per-ALT and per-position vectors (host work O(batch + positions))."""
        a = np.array([alt.a for alt in sub], dtype=np.int64)
        b = np.array([alt.b for alt in sub], dtype=np.int64)
        m = np.array([len(alt.m) for alt in sub], dtype=np.int64)
        track = np.array([alt.track for alt in sub], dtype=np.int64)
        off = np.array([alt.offset for alt in sub], dtype=np.int64)
        cone = ConeBatch(self.radii, wid, a, b, m)
        spans, reach, radii = cone.spans, cone.reach, self.radii
        length = onehot.shape[1]

        # Every read of the pass, in order: (level of the REF tensor, u range); the REF sides of
        # all of them are one index table, columns side by side.
        reads = [(0, cone.out)]
        for i in range(len(net.units)):
            k1, k2 = 2 * i + 1, 2 * i + 2
            r = radii[k1]
            reads += [(k1 - 1, (spans[k1][0] - r, spans[k1][1] + r)),
                      (k1, (spans[k2][0] - r, spans[k2][1] + r)),
                      (k1 - 1, spans[k2])]
            if i in net.skips:
                reads.append((k2, cone.out))
        u, side, level, layout = [], [], [], []
        for lev, (q0, q1) in reads:
            left, mid, right = cone.parts(lev, q0, q1)
            start = sum(map(len, u))
            u += [np.arange(*left), np.arange(*right)]
            side += [np.zeros(left[1] - left[0], np.int64), np.ones(q1 - right[0], np.int64)]
            level.append(np.full(left[1] - left[0] + q1 - right[0], lev, np.int64))
            layout.append((start, left[1] - left[0], q1 - right[0], mid))
        u, side, level = np.concatenate(u), np.concatenate(side), np.concatenate(level)
        lens = length - 2 * np.asarray(reach)[level]  # rows of each column's REF tensor
        cols = u.size
        # one upload: per-column (u - reach, side, len) and per-ALT (track, offset + a, shift)
        packed = self._upload(np.concatenate([u - np.asarray(reach)[level], side, lens,
                                              track, off + a, cone.shift]))
        col_u, col_side, col_len = packed[:cols], packed[cols:2 * cols], packed[2 * cols:3 * cols]
        n = len(sub)
        alt_track, alt_base, alt_shift = (packed[3 * cols + i * n:3 * cols + (i + 1) * n]
                                          for i in range(3))
        # rows[c, i] = track_i * len_c + clamp(offset_i + a_i + side_c * shift_i + u_c - reach_c)
        pos = torch.clamp((col_side[:, None] * alt_shift[None]).add_(alt_base[None])
                          .add_(col_u[:, None]), min=0)
        pos = torch.minimum(pos, (col_len - 1)[:, None])
        rows = (col_len[:, None] * alt_track[None]).add_(pos)  # (cols, B), each read a block

        refs = iter(layout)

        def assemble(ref, patch, level):
            """The next read: REF rows of ``ref`` (laid out like stage ``level``) on its sides,
            ``patch`` (on ``spans[level]``) in its middle."""
            start, nl, nr, (p0, p1) = next(refs)
            lo = spans[level][0]
            middle = patch[:, p0 - lo:p1 - lo]
            if nl + nr == 0:
                return middle
            flat = ref.reshape(-1, ref.shape[2])
            got = flat.index_select(0, rows[start:start + nl + nr].reshape(-1))
            got = got.view(nl + nr, n, ref.shape[2]).transpose(0, 1)
            parts = [got[:, :nl], middle, got[:, nl:]]
            return torch.cat([p for p in parts if p.shape[1]], dim=1)

        raw, inputs = stages.raw, stages.inputs
        # stage 0 on [0, max m): the stem is pointwise
        x_patch = net.stem(self._upload(self._stem_input(sub, cone, onehot)))
        skip = net.stem_skip(assemble(raw[0], x_patch, 0))
        for i in range(len(net.units)):
            k1, k2 = 2 * i + 1, 2 * i + 2
            # Pointwise steps run on the patch alone; the REF's activated inputs are kept.
            h = net.conv(i, 1)(assemble(inputs[k1], net.activated(x_patch, i, 1), k1 - 1))
            a2 = assemble(inputs[k2], net.activated(h, i, 2), k1)
            x_patch = net.conv(i, 2)(a2).add_(assemble(raw[k1 - 1], x_patch, k1 - 1))
            if i in net.skips:
                skip = skip.add_(net.skips[i](assemble(raw[k2], x_patch, k2)))
        return cone, skip

    @staticmethod
    def _stem_input(sub, cone, onehot) -> np.ndarray:
        """(B, max m, 4): each ALT's window from its change on, the ALT bases then the REF."""
        n, width = len(sub), int(cone.m.max())
        track = np.array([alt.track for alt in sub])
        off = np.array([alt.offset for alt in sub])
        u = np.arange(width)
        pos = (off + cone.a + cone.shift)[:, None] + u[None]  # REF index b + (u - m)
        x0 = onehot[track[:, None], np.clip(pos, 0, onehot.shape[1] - 1)]
        if (cone.m == width).all():
            x0[:] = np.stack([alt.m for alt in sub])
        else:
            which = np.repeat(np.arange(n), cone.m)
            at = np.arange(which.size) - np.repeat(np.cumsum(cone.m) - cone.m, cone.m)
            x0[which, at] = np.concatenate([alt.m for alt in sub])
        return x0
