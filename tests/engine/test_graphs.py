"""The replayed fixed-shape passes (CUDA graphs on a GPU) as a CPU dry run: the plain bits."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spliceannot.engine import Engine  # noqa: E402
from spliceannot.engine.graphs import REF_BUCKET  # noqa: E402

from test_engine import ReferencePath, TinyEnsemble, assert_same, mixed_items, world  # noqa: E402,F401


@pytest.mark.parametrize("mode", ["grouped", "members"])
def test_fixed_buffer_passes_equal_plain_and_replay(world, mode):  # noqa: F811
    """Padded REF tracks and ALT batches through static buffers give the per-window bits; a
    second call of the same shapes replays (no new capture) and still does."""
    model = TinyEnsemble(members=3)
    items = mixed_items(world, model.context, 50, count=12, seed=13)
    ref = ReferencePath(model)
    want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in items]
    e = Engine(model, batch_size=4, kernels_mode=mode, graphs=True)
    assert e.graphs.enabled and not e.graphs.cuda  # the dry run on this CPU
    assert_same(e.predict(items), want, items)
    captures = e.stats["ref captures"] + e.stats["alt captures"]
    assert e.stats["ref captures"] >= 1 and e.stats["alt captures"] >= 1
    # the same work again: every pass replayed, the bits unchanged
    assert_same(e.predict(items), want, items)
    assert e.stats["ref captures"] + e.stats["alt captures"] == captures
    assert e.stats["ref replays"] >= 1 and e.stats["alt replays"] >= 1
    # and different values in the same shapes (other windows) overwrite the static buffers
    others = mixed_items(world, model.context, 50, count=12, seed=14)
    other_want = [(ref(t.x_ref), ref(t.x_alt)) for t, _, _ in others]
    assert_same(e.predict(others), other_want, others)


def test_plain_path_is_untouched_without_graphs(world, monkeypatch):  # noqa: F811
    monkeypatch.delenv("SPLICEANNOT_CUDA_GRAPHS", raising=False)
    e = Engine(TinyEnsemble(members=2), batch_size=4)
    assert not e.graphs.enabled and e.graphs.pad_length(1000) == 1000
    monkeypatch.setenv("SPLICEANNOT_CUDA_GRAPHS", "1")
    g = Engine(TinyEnsemble(members=2), batch_size=4)
    assert g.graphs.enabled and g.graphs.pad_length(1000) == REF_BUCKET
    assert np.all(g.graphs.pad_length(REF_BUCKET + 1) == 2 * REF_BUCKET)
