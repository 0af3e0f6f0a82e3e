"""Kernel choice per layer (grouped or per member, timed once and cached) and the work counter."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spliceannot.engine import kernels  # noqa: E402
from spliceannot.engine.inference import Conv, InferenceNet, Work  # noqa: E402

from test_engine import ReferencePath, TinyEnsemble, assert_same, mixed_items, world  # noqa: E402,F401


def stacked_tiny(members=3):
    model = TinyEnsemble(members=members)
    return model, InferenceNet.stacked(model.inference_nets())


def fake_timings(per_layer):
    """time_layer stand-in: timings by kernel width, counting calls."""
    calls = []

    def timed(conv, device, positions=4096):
        calls.append(conv.kernel)
        return dict(per_layer[conv.kernel])

    return timed, calls


def test_conv_counts_every_output_it_computes():
    conv = torch.nn.Conv1d(8, 6, 11, dilation=4)
    c = Conv(conv, "cpu")
    c.work = Work()
    with torch.inference_mode():
        c(torch.rand(3, 200 + 40, 8))  # 3 items of 200 outputs
        assert c.work.macs == 3 * 200 * 6 * 8 * 11
        c(torch.rand(1, 100 + 40, 8))  # one item: cut into two tiles of 50
        assert c.work.macs == 3 * 200 * 6 * 8 * 11 + 2 * 50 * 6 * 8 * 11


def test_choose_members_stacked_or_mixed_by_timing(monkeypatch, tmp_path):
    monkeypatch.setenv("SPLICEANNOT_CACHE", str(tmp_path))
    monkeypatch.setattr(kernels, "_MEMORY", {})
    _, net = stacked_tiny()
    # members faster in sum -> run the members apart
    timed, calls = fake_timings({1: dict(grouped=1, split=2, members=1.5),
                                 11: dict(grouped=10, split=9, members=5)})
    monkeypatch.setattr(kernels, "time_layer", timed)
    assert kernels.choose(net, torch.device("cpu")) == "members"
    assert len(calls) == 2  # one timing per distinct layer shape (1x1 and kernel 11)
    cached = json.loads((tmp_path / "kernels.json").read_text())
    assert len(cached) == 2 and all(set(v) == {"grouped", "split", "members"}
                                    for v in cached.values())
    # a second engine in this process measures nothing; nor does a fresh process (disk)
    assert kernels.choose(net, torch.device("cpu")) == "members" and len(calls) == 2
    monkeypatch.setattr(kernels, "_MEMORY", {})
    assert kernels.choose(net, torch.device("cpu")) == "members" and len(calls) == 2
    # stacked, the kernel-11 layers per member, the 1x1 ones grouped
    monkeypatch.setattr(kernels, "_MEMORY", {})
    (tmp_path / "kernels.json").unlink()
    timed, calls = fake_timings({1: dict(grouped=1, split=2, members=3),
                                 11: dict(grouped=10, split=9, members=9.5)})
    monkeypatch.setattr(kernels, "time_layer", timed)
    assert kernels.choose(net, torch.device("cpu")) == "stacked"
    assert all(c.per_member == (c.kernel == 11) for c in net.convs() if c.members)


def test_forced_modes_and_bad_mode(monkeypatch):
    _, net = stacked_tiny()
    assert kernels.choose(net, torch.device("cpu"), "split") == "stacked"
    assert all(c.per_member for c in net.convs() if c.members)
    assert kernels.choose(net, torch.device("cpu"), "grouped") == "stacked"
    assert not any(c.per_member for c in net.convs())
    assert kernels.choose(net, torch.device("cpu"), "members") == "members"
    monkeypatch.setenv("SPLICEANNOT_KERNELS", "fastest")
    with pytest.raises(ValueError, match="SPLICEANNOT_KERNELS"):
        kernels.choose(net, torch.device("cpu"))


def test_timing_leaves_the_layer_and_counters_as_they_were():
    _, net = stacked_tiny()
    conv = net.units[0][1]
    assert kernels.time_layer(conv, torch.device("cpu"), positions=64).keys() == {
        "grouped", "split", "members"}
    assert conv.per_member is False and conv.work is net.work and net.work.macs == 0
    assert all(m.work is not net.work and m.work.macs == 0 for m in conv.members)


def test_every_kernel_choice_gives_the_same_bits_and_work(world):  # noqa: F811
    """Grouped, per member into one output, members apart, measured: the per-window path's
    bits every way, and the same multiply-adds (same track batches)."""
    from spliceannot.engine import Engine

    model = TinyEnsemble(members=3)
    items = mixed_items(world, model.context, 50, count=12, seed=11)
    ref = ReferencePath(model)
    want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
    work = {}
    for mode in ("grouped", "split", "members", "measure"):
        e = Engine(model, batch_size=5, track_positions=3000, kernels_mode=mode)
        assert len(e.runners) == {"members": 3, "grouped": 1, "split": 1}.get(mode, len(e.runners))
        assert_same(e.predict(items), want, items)
        work[mode] = (e.stats["ref multiply-adds"], e.stats["alt multiply-adds"])
        assert sum(r.work.macs for r in e.runners) >= sum(work[mode]) > 0
    assert len(set(work.values())) == 1, work
    # the count is the arithmetic of the cones: ALT work per ALT window below the REF's
    ref_macs, alt_macs = work["grouped"]
    assert alt_macs < ref_macs * len(items)


def test_fast_scorer_reports_multiply_adds():
    from spliceannot.default_plugins.fast_scorer import FastScorer

    scorer = FastScorer()

    class Engine:
        stats = {"ref multiply-adds": 7, "alt multiply-adds": 3, "ref seconds": 0.1}

    scorer._engines[0] = Engine()
    assert scorer.timings()["ref multiply-adds"] == 7
    assert np.isclose(scorer.timings()["ref seconds"], 0.1)
