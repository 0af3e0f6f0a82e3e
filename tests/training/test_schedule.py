"""Learning-rate schedules are pure functions of the step."""

import math

import pytest

from spliceannot.training.schedule import learning_rate


def lr(step, **kw):
    base = dict(base_lr=1.0, steps_per_epoch=10, epochs=10)
    return learning_rate(step, **{**base, **kw})


def test_multistep_default_is_spliceai_recipe():
    # constant for 6 epochs, then halved each epoch (Jaganathan et al. 2019)
    assert [lr(e * 10) for e in range(10)] == [1] * 6 + [0.5, 0.25, 0.125, 0.0625]
    assert lr(5, kind="multistep", milestones=[1], gamma=0.1) == 1.0
    assert lr(10, kind="multistep", milestones=[1], gamma=0.1) == pytest.approx(0.1)


def test_cosine_restarts_and_exponential_and_warmup():
    assert lr(0, kind="cosine", restart_epochs=2) == 1.0
    assert lr(10, kind="cosine", restart_epochs=2) == pytest.approx(0.5)
    assert lr(20, kind="cosine", restart_epochs=2) == 1.0  # warm restart
    assert lr(15, kind="exponential", gamma=0.5) == pytest.approx(0.5 ** 1.5)
    assert lr(1, kind="constant", warmup_steps=4) == 0.5
    assert math.isclose(lr(4, kind="constant", warmup_steps=4), 1.0)
    with pytest.raises(ValueError):
        lr(0, kind="nope")
