"""A tiny model trains on CPU in seconds; resuming after an interruption gives identical weights."""

import dataclasses
import json

import pytest
import torch

from spliceannot.models import checkpoint
from spliceannot.training.trainer import TrainConfig, saved_config, train, train_ensemble


def tiny(data, out, **kw):
    base = dict(data=str(data), out=str(out), context=80, width=8, epochs=2, batch_size=4,
                steps_per_epoch=3, val_windows=4, lr=3e-3, schedule="exponential", gamma=0.5,
                seed=1)
    return TrainConfig(**{**base, **kw})


def same_weights(a, b) -> bool:
    sa, sb = checkpoint.load_network(a)[0].state_dict(), checkpoint.load_network(b)[0].state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_tiny_trains_and_writes_checkpoint(chr16_data, tmp_path):
    state = train(tiny(chr16_data, tmp_path / "m", epochs=3, patience=5), progress=False)
    assert state["done"] and state["step"] == 9
    rows = [json.loads(line) for line in open(tmp_path / "m" / "metrics.jsonl")]
    epochs = [r for r in rows if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2, 3]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]  # it learns (mostly 'neither')
    assert (tmp_path / "m" / "curves.png").stat().st_size > 0
    meta = checkpoint.read_meta(tmp_path / "m")
    assert meta["architecture"]["width"] == 8 and meta["context"] == 80
    assert meta["training"]["train_stats"]["genes"] > 0 and meta["metrics"]["val_loss"] > 0


def test_resume_after_interruption_is_identical(chr16_data, tmp_path):
    train(tiny(chr16_data, tmp_path / "full"), progress=False)
    # interrupted mid-epoch 1 (step 4 of 6), then resumed from its saved state
    halted = train(tiny(chr16_data, tmp_path / "cut", halt_after_steps=4), progress=False)
    assert halted["halted"] and halted["step"] == 4
    cfg = dataclasses.replace(saved_config(tmp_path / "cut"), halt_after_steps=None)
    done = train(cfg, resume=True, progress=False)
    assert done["done"] and done["step"] == 6
    assert same_weights(tmp_path / "full" / "last", tmp_path / "cut" / "last")
    assert same_weights(tmp_path / "full", tmp_path / "cut")  # the best-val checkpoint too


def test_seeds_make_an_ensemble(chr16_data, tmp_path):
    cfg = tiny(chr16_data, tmp_path / "ens", epochs=1, steps_per_epoch=1, loss="focal",
               class_weights=[1.0, 2.0, 2.0], schedule="cosine")
    train_ensemble(cfg, [3, 4], progress=False)
    assert checkpoint.is_ensemble(tmp_path / "ens")
    assert checkpoint.read_meta(tmp_path / "ens")["members"] == ["seed-3", "seed-4"]
    assert not same_weights(tmp_path / "ens" / "seed-3", tmp_path / "ens" / "seed-4")


def test_missing_data_is_a_usage_error(tmp_path):
    from spliceannot.errors import UsageError

    with pytest.raises(UsageError):
        train(tiny(tmp_path, tmp_path / "m"), progress=False)
