"""Temperature scaling recovers a known temperature and is written into the model."""

import numpy as np
import torch

from spliceannot.models import checkpoint
from spliceannot import registry
from spliceannot.training import calibration


def test_fit_recovers_temperature():
    torch.manual_seed(0)
    true = torch.randn(5000, 3) * 3
    y = torch.distributions.Categorical(logits=true).sample()
    overconfident = (true * 2.5).unsqueeze(0)  # (M=1, N, 3); T = 2.5 undoes it
    t = calibration.fit_temperatures(overconfident, y, per_class=False)
    assert abs(float(t[0]) - 2.5) < 0.3 and torch.equal(t, t[0].expand(3))
    before = calibration.calibration_report(calibration.ensemble_probs(overconfident,
                                                                       torch.ones(3)), y)
    after = calibration.calibration_report(calibration.ensemble_probs(overconfident, t), y)
    assert after["nll"] < before["nll"] and after["ece"] < before["ece"]


def test_ece_hand_example():
    conf = np.array([0.9, 0.9, 0.1, 0.1])
    hit = np.array([1.0, 0.0, 0.0, 0.0])
    # two bins: |0.9 - 0.5| * 0.5 + |0.1 - 0| * 0.5
    assert abs(calibration.ece(conf, hit) - 0.25) < 1e-12


def test_calibrate_writes_temperatures(chr16_data, tmp_path):
    from spliceannot.training.trainer import TrainConfig, train

    out = tmp_path / "m"
    train(TrainConfig(data=str(chr16_data), out=str(out), context=80, width=8, epochs=1,
                      batch_size=4, steps_per_epoch=2, val_windows=4, lr=3e-3), progress=False)
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (1, 180))]
    p0 = registry.model(str(out)).predict(x)
    report = calibration.calibrate(out, chr16_data, per_class=True, max_windows=6)
    assert len(report["temperatures"]) == 3
    assert report["after"]["nll"] <= report["before"]["nll"] + 1e-9
    assert (out / "reliability.png").stat().st_size > 0
    stored = checkpoint.read_meta(out)["calibration"]
    assert stored["temperatures"] == report["temperatures"]
    model = registry.model(str(out))
    assert model.temperatures == report["temperatures"]
    assert not np.allclose(model.predict(x), p0)
