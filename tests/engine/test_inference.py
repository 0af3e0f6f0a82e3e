"""The inference kernels: an output's bits never depend on the crop, batch or tiling computing it.

This is the premise of the engine's exactness (tests/engine/test_engine.py checks the engine itself);
here it is checked layer by layer and for a whole network, on random weights and inputs, with
the layer shapes of SpliceAI-10k.
"""

import random

import pytest

torch = pytest.importorskip("torch")

from spliceannot.engine.inference import Conv, InferenceNet, position_invariant  # noqa: E402
from support.nets import random_net  # noqa: E402

LAYERS = [(1, 1, 4), (1, 1, 32), (11, 1, 32), (11, 4, 32), (21, 10, 32), (41, 25, 32)]


def one_hot(length, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(1, length, 4)
    x[0, torch.arange(length), torch.randint(0, 4, (length,), generator=g)] = 1
    return x


@pytest.mark.parametrize("kernel,dilation,channels", LAYERS)
def test_conv_output_bits_do_not_depend_on_crop_or_batch(kernel, dilation, channels):
    torch.manual_seed(kernel * 100 + dilation)
    conv = Conv(torch.nn.Conv1d(channels, 32, kernel, dilation=dilation), "cpu")
    r = conv.radius
    length = 6000
    x = torch.randn(1, length, channels).relu()
    with torch.inference_mode():
        full = conv(x)[0]  # outputs for input positions r .. length - r
        rng = random.Random(kernel + dilation)
        for _ in range(12):
            n = rng.choice([1, 2, 7, 101, 640, 2500])
            start = rng.randint(r, length - r - n)
            batch = rng.choice([1, 2, 5])
            crop = x[:, start - r:start + n + r].expand(batch, -1, -1).contiguous()
            y = conv(crop)
            assert y.shape == (batch, n, 32)
            for b in range(batch):
                assert torch.equal(y[b], full[start - r:start - r + n]), (n, start, batch)


def test_forward_on_windows_equals_the_longer_track():
    """What the engine relies on: a window's skip sum equals the track's over it, in any batch."""
    net = InferenceNet(random_net())
    wid = 10101
    track = one_hot(wid + 700, seed=1)
    with torch.inference_mode():
        skip_track, stages = net.forward(track, keep=True)
        offsets = [0, 137, 700]
        windows = torch.cat([track[:, o:o + wid] for o in offsets])
        skip_windows, _ = net.forward(windows)
        alone, _ = net.forward(track[:, 137:137 + wid])
    cov = wid - net.context
    for i, o in enumerate(offsets):
        assert torch.equal(skip_windows[i], skip_track[0, o:o + cov])
    assert torch.equal(alone[0], skip_track[0, 137:137 + cov])
    # the kept stages: stage k starts at reach[k] and is L - 2 * reach[k] long
    reach = 0
    for k, r in enumerate(net.radii):
        reach += r
        if stages.raw[k] is not None:
            assert stages.raw[k].shape[1] == track.shape[1] - 2 * reach
    assert len(stages.inputs) == len(net.radii)


@pytest.mark.parametrize("context,slope", [(10000, 0.0), (400, 0.1)])
def test_inference_computes_the_training_network(context, slope):
    """Tiled kernels, Keras' BN formula and valid convolutions give SpliceNet.forward's values."""
    module = random_net(context, seed=2, slope=slope)
    net = InferenceNet(module)
    x = one_hot(context + 301, seed=3)
    with torch.inference_mode():
        expected = torch.softmax(module(x.transpose(1, 2)), dim=1).transpose(1, 2)
        skip, _ = net.forward(x)
        got = net.probs(skip)
    assert got.shape == (1, 301, 3)
    assert torch.allclose(got, expected, atol=2e-6, rtol=0)
    assert torch.allclose(got.sum(-1), torch.ones(1, 301), atol=1e-6)


def test_probs_apply_temperatures():
    net = InferenceNet(random_net(80, seed=4))
    skip = torch.randn(1, 50, 32)
    with torch.inference_mode():
        plain = net.probs(skip)
        hot = net.probs(skip, (2.0, 2.0, 2.0))
        logits = net.head(skip)
    assert torch.allclose(hot, torch.softmax(logits / 2.0, dim=-1), atol=1e-7)
    assert not torch.allclose(hot, plain)


def test_the_probe_passes_here_and_catches_position_dependent_kernels(monkeypatch):
    net = InferenceNet(random_net(400, seed=5))
    assert position_invariant(net)
    honest = Conv.__call__

    def drifting(self, x):  # a kernel whose last bits depend on the input length
        y = honest(self, x)
        return y + (x.shape[1] % 3) * 1e-7

    monkeypatch.setattr(Conv, "__call__", drifting)
    assert not position_invariant(net)


def test_batched_head_gives_each_window_its_own_bits():
    """The head and softmax run once per batch: a window's probabilities are those it gets alone."""
    net = InferenceNet(random_net(80, seed=6))
    g = torch.Generator().manual_seed(6)
    skips = torch.randn(37, 1001, 32, generator=g) * 3
    with torch.inference_mode():
        together = net.probs(skips, (1.1, 0.9, 1.3))
        for b in range(37):
            assert torch.equal(together[b:b + 1], net.probs(skips[b:b + 1], (1.1, 0.9, 1.3)))


@pytest.mark.parametrize("fixed", [(512, 64), (128, 3)])
def test_cuda_fixed_shapes_give_the_same_bits_on_cpu(fixed):
    """CUDA's mode (every call one shape per layer, items padded to whole calls) is the same
    function: on this CPU, whose kernels are position-invariant, the same bits as the default."""
    module = random_net(400, seed=7)
    plain = InferenceNet(module)
    fixed_net = InferenceNet(module).set_fixed_shapes(fixed)
    assert all(c.fixed == fixed for c in fixed_net.convs())
    x = torch.cat([one_hot(400 + 1234, seed=s) for s in (8, 9, 10)])
    calls = []
    honest = torch.nn.functional.conv2d

    def spy(inp, *args, **kw):
        calls.append(tuple(inp.shape))
        return honest(inp, *args, **kw)

    with torch.inference_mode():
        want, _ = plain.forward(x)
        import spliceannot.engine.inference as inference

        inference.F.conv2d = spy
        try:
            got, _ = fixed_net.forward(x)
            one, _ = fixed_net.forward(x[1:2, 17:17 + 400 + 301])
        finally:
            inference.F.conv2d = honest
        assert torch.equal(got, want)
        assert torch.equal(one[0], want[1, 17:17 + 301])
        assert torch.equal(fixed_net.probs(got), plain.probs(want))
    # every call of a layer had one shape: items a whole call, tiles of the fixed length
    assert {c[0] for c in calls} == {fixed[1]}
    assert position_invariant(fixed_net)
