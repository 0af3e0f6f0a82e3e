"""Replaying the engine's fixed-shape passes: CUDA graphs on a GPU, the same static buffers on a CPU.

A REF pass (one track batch through one network) and the device part of an ALT pass (an
uploaded plan through the cone) depend on the host only through their shapes, so on CUDA each
shape is captured once as a CUDA graph and replayed: one launch for the whole pass instead of
~1,000 (the engine's op count per pass), what keeps a GPU busy on small ALT batches. Inputs
are copied into the graph's static buffers from pinned host memory; outputs live in the
graph's static tensors, overwritten by the next replay of the same shape, so the engine
consumes each before replaying it (it does: REF outputs feed the ALT passes of the same
runner, ALT outputs go straight into the head).

To give passes few distinct shapes, the engine pads ALT batches to ``batch_size`` (repeating
the last ALT; its outputs are dropped) and REF tracks to a multiple of ``REF_BUCKET``
positions (zeros past the end, never read): a position's value does not depend on the length
(the probe), so the bits are those of the plain path.

Off by default: ``SPLICEANNOT_CUDA_GRAPHS=1`` or ``Engine(graphs=True)``. On a CPU the same
code runs as a dry run: static input buffers copied into, the pass run on them, its outputs
copied into static output tensors kept per shape, exactly the data flow of a replay, so the
tests check on any machine that the fixed-buffer path gives the plain path's bits.
"""

import os
from collections import Counter, OrderedDict

import numpy as np
import torch

REF_BUCKET = 1024  # REF track lengths padded to a multiple of this when graphs are on


def enabled_by_env() -> bool:
    return os.environ.get("SPLICEANNOT_CUDA_GRAPHS", "") not in ("", "0")


def _tensors(out) -> list:
    """The tensors of a pass's output (a tensor, a tuple, a Stages), in a fixed order."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    if out is None:
        return []
    return [t for name in ("raw", "inputs") for t in _tensors(getattr(out, name))]


class Replay:
    """One shape of one pass: static inputs, and either a captured CUDA graph or (CPU) the
    function rerun on the static inputs with its outputs copied into static ones."""

    def __init__(self, fn, inputs, cuda: bool):
        self.fn, self.cuda = fn, cuda
        self.inputs = [t.clone() for t in inputs]
        self.graph = None
        if cuda:
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):  # warm-up before capture: allocator, cuDNN plans
                fn(*self.inputs)
            torch.cuda.current_stream().wait_stream(stream)
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.outputs = fn(*self.inputs)
        else:
            self.outputs = fn(*self.inputs)
        self.static = _tensors(self.outputs)

    def __call__(self, inputs):
        for static, new in zip(self.inputs, inputs):
            static.copy_(new, non_blocking=True)
        if self.graph is not None:
            self.graph.replay()
        else:
            for static, new in zip(self.static, _tensors(self.fn(*self.inputs))):
                static.copy_(new)
        return self.outputs


class Passes:
    """The engine's REF and ALT passes, replayed per shape where ``enabled``, else run plainly."""

    def __init__(self, device, enabled: bool, upload, stats: Counter, limit: int = 2):
        # ``limit``: REF shapes kept (each holds a track batch's stages, so few), ALT shapes
        # hang off them and go with them
        self.device, self.enabled, self.upload, self.limit = device, enabled, upload, limit
        self.cuda = enabled and device.type == "cuda"
        self._ref = OrderedDict()  # (net, shape) -> Replay, least recently used first
        self._alt = {}  # (ref key, shape) -> Replay
        self._ref_key = {}  # id(stages) of a kept REF output -> its key
        self.stats = stats

    def pad_length(self, length: int) -> int:
        return -(-length // REF_BUCKET) * REF_BUCKET if self.enabled else length

    def ref(self, net, x):
        """(skip, stages) of ``net.forward(x, keep=True)``, x on the device."""
        if not self.enabled:
            return net.forward(x, keep=True)
        key = (id(net), tuple(x.shape))
        if key in self._ref:
            self._ref.move_to_end(key)
            self.stats["ref replays"] += 1
            return self._ref[key]([x])
        while len(self._ref) >= self.limit:
            self._drop(next(iter(self._ref)))
        replay = Replay(lambda t: net.forward(t, keep=True), [x], self.cuda)
        self._ref[key] = replay
        self._ref_key[id(replay.outputs[1])] = key
        self.stats["ref captures"] += 1
        return replay.outputs

    def alt(self, net, stages, shape, compute, packed: np.ndarray, x0: np.ndarray):
        """``compute(net, stages, shape, packed, x0)`` on the device, replayed per shape."""
        inputs = [self.upload(packed), self.upload(x0)]
        ref_key = self._ref_key.get(id(stages)) if self.enabled else None
        if ref_key is None:  # plain, or stages from outside this cache
            return compute(net, stages, shape, *inputs)
        key = (ref_key, shape)
        if key in self._alt:
            self.stats["alt replays"] += 1
            return self._alt[key](inputs)
        replay = Replay(lambda p, x: compute(net, stages, shape, p, x), inputs, self.cuda)
        self._alt[key] = replay
        self.stats["alt captures"] += 1
        return replay.outputs

    def _drop(self, ref_key):
        replay = self._ref.pop(ref_key)
        self._ref_key.pop(id(replay.outputs[1]), None)
        for key in [k for k in self._alt if k[0] == ref_key]:
            del self._alt[key]
