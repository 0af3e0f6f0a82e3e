"""Checkpoints round-trip, load as --model PATH, and apply their temperatures when scoring."""

import json

import numpy as np
import pytest
import torch

from spliceannot.models import checkpoint
from spliceannot.errors import ModelFileError
from spliceannot.models.network import NetworkConfig, SpliceNet
from spliceannot import registry


def small_net(seed=0):
    torch.manual_seed(seed)
    net = SpliceNet(NetworkConfig(width=4, units=[[3, 1], [3, 2]], skip_every=2))
    for m in net.modules():  # non-trivial BatchNorm statistics must survive the round trip
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return net.eval()


def x_batch(context, n=2, length=20, seed=0):
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, length + context))]


def test_round_trip(tmp_path):
    net = small_net()
    checkpoint.save(tmp_path / "m", net, checkpoint.new_meta(net.config, species="toy",
                                                             metrics={"val_loss": 0.5}))
    back, meta = checkpoint.load_network(tmp_path / "m")
    assert meta["species"] == "toy" and meta["context"] == net.config.context == 12
    assert meta["architecture"] == net.config.to_dict()
    for k, v in net.state_dict().items():
        assert torch.equal(v, back.state_dict()[k])
    x = torch.from_numpy(x_batch(12).transpose(0, 2, 1).copy())
    assert torch.equal(net(x), back(x))
    assert checkpoint.is_checkpoint(tmp_path / "m" / "model.json")
    with pytest.raises(ModelFileError):
        checkpoint.load_network(tmp_path)


def test_bad_metadata_is_refused(tmp_path):
    net = small_net()
    checkpoint.save(tmp_path / "m", net, checkpoint.new_meta(net.config))
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    (tmp_path / "m" / "model.json").write_text(json.dumps(dict(meta, format="other")))
    with pytest.raises(ModelFileError):
        checkpoint.load_network(tmp_path / "m")


def test_temperatures_applied_in_scoring(tmp_path):
    """A calibrated checkpoint predicts softmax(logits / T), computed here by hand."""
    net = small_net()
    checkpoint.save(tmp_path / "m", net, checkpoint.new_meta(net.config))
    x = x_batch(12)
    plain = registry.model(str(tmp_path / "m"))  # the --model PATH branch of scoring
    p0 = plain.predict(x)
    meta = checkpoint.read_meta(tmp_path / "m")
    t = [1.0, 2.0, 0.5]
    checkpoint.write_meta(tmp_path / "m", dict(meta, calibration={"temperatures": t}))
    calibrated = registry.model(str(tmp_path / "m"))
    assert calibrated.temperatures == t
    p1 = calibrated.predict(x)
    with torch.no_grad():
        z = net(torch.from_numpy(x.transpose(0, 2, 1).copy())).numpy()  # (B, 3, L)
    z = z / np.array(t, dtype=np.float32)[None, :, None]
    hand = np.exp(z - z.max(1, keepdims=True))
    hand = (hand / hand.sum(1, keepdims=True)).transpose(0, 2, 1)
    np.testing.assert_allclose(p1, hand, rtol=1e-5, atol=1e-6)
    assert not np.allclose(p0, p1)
    # a donor temperature < 1 sharpens: where the donor already wins it wins by more
    win = p0[..., 2] > p0[..., :2].max(-1)
    assert (p1[..., 2][win] >= p0[..., 2][win]).all()
    # one shared temperature is stored as a single number
    checkpoint.write_meta(tmp_path / "m", dict(meta, calibration={"temperatures": [2.0]}))
    assert registry.model(str(tmp_path / "m")).temperatures == [2.0, 2.0, 2.0]


def test_ensemble_directory(tmp_path):
    a, b = small_net(0), small_net(1)
    checkpoint.save(tmp_path / "e" / "a", a, checkpoint.new_meta(a.config))
    checkpoint.save(tmp_path / "e" / "b", b, checkpoint.new_meta(b.config))
    checkpoint.save_ensemble(tmp_path / "e", ["a", "b"], {"species": "toy"})
    model = registry.model(str(tmp_path / "e"))
    x = x_batch(12)
    pa = registry.model(str(tmp_path / "e" / "a")).predict(x)
    pb = registry.model(str(tmp_path / "e" / "b")).predict(x)
    np.testing.assert_allclose(model.predict(x), (pa + pb) / 2, rtol=1e-6, atol=1e-7)
    assert model.info()["members"] == 2


def test_models_path_registers_by_name(tmp_path, monkeypatch):
    from spliceannot import registry

    net = small_net()
    checkpoint.save(tmp_path / "toy-model", net, checkpoint.new_meta(net.config, species="toy"))
    monkeypatch.setenv("SPLICEANNOT_MODELS_PATH", str(tmp_path))
    registry.reset()
    try:
        model = registry.model("toy-model")
        assert model.context == 12 and "toy" in model.description
        assert model.predict(x_batch(12)).shape == (2, 20, 3)
        from spliceannot.engine import Engine

        engine = Engine(model)  # a checkpoint found by name runs on the fast engine too
        assert engine.exact and len(engine.nets) == 1 and engine.temperatures is None
    finally:
        registry.reset()


@pytest.mark.parametrize("damage", ["pickle", "truncated"])
def test_damaged_weights_are_a_one_line_error(tmp_path, damage):
    import pickle
    import subprocess
    import sys

    import pathlib

    repo = pathlib.Path(__file__).resolve().parents[2]
    fasta = repo / "examples" / "data" / "hg38_chr16_186964-397118.fa"
    table = repo / "annotations" / "hg38_chr16_186964-397118.refseq.txt"

    net = small_net()
    checkpoint.save(tmp_path / "m", net, checkpoint.new_meta(net.config))
    weights = tmp_path / "m" / "model.safetensors"
    if damage == "pickle":  # a torch.save-style pickle under the safetensors name: never loaded
        weights.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    else:
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="model.safetensors is not a complete safetensors"):
        checkpoint.load_network(tmp_path / "m")
    r = subprocess.run([sys.executable, "-m", "spliceannot", "score",
                        str(repo / "examples" / "chr16_demo.vcf"), "-o",
                        str(tmp_path / "o.vcf"), "-R", str(fasta), "-A", str(table), "--model",
                        str(tmp_path / "m")], capture_output=True, text=True, cwd=repo)
    assert r.returncode == 6 and "Traceback" not in r.stderr, r.stderr
    errors = [l for l in r.stderr.splitlines() if l.startswith("spliceannot: error:")]
    assert len(errors) == 1 and "is not a complete safetensors file" in errors[0]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_at_load(tmp_path, bad):
    """A network with NaN weights answers NaN everywhere: refused when loaded, naming the file,
    and the run stops with one line (exit 6) instead of writing every record unscored."""
    import pathlib
    import subprocess
    import sys

    net = small_net()
    with torch.no_grad():
        net.units[1].conv2.weight[0, 0, 0] = bad
    checkpoint.save(tmp_path / "m", net, checkpoint.new_meta(net.config))
    with pytest.raises(ModelFileError) as caught:
        checkpoint.load_network(tmp_path / "m")
    assert str(caught.value) == (f"{tmp_path / 'm' / 'model.safetensors'}: the weights hold NaN "
                                 f"or infinite values (1 in units.1.conv2.weight); the file is "
                                 f"damaged or its training diverged")
    repo = pathlib.Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-m", "spliceannot", "score",
                        str(repo / "examples" / "chr16_demo.vcf"), "-o",
                        str(tmp_path / "o.vcf"), "-R",
                        str(repo / "examples" / "data" / "hg38_chr16_186964-397118.fa"), "-A",
                        str(repo / "annotations" / "hg38_chr16_186964-397118.refseq.txt"),
                        "--model", str(tmp_path / "m")], capture_output=True, text=True, cwd=repo)
    assert r.returncode == 6 and "Traceback" not in r.stderr, r.stderr
    errors = [l for l in r.stderr.splitlines() if l.startswith("spliceannot: error:")]
    assert len(errors) == 1 and "NaN or infinite values" in errors[0]


def test_non_finite_openspliceai_file_is_refused(tmp_path):
    from spliceannot.models import openspliceai

    path = tmp_path / "m.pt"
    torch.save({"initial_conv.weight": torch.tensor([[[float("nan")]]])}, path)
    with pytest.raises(ModelFileError, match=f"^{path}: the weights hold NaN or infinite values "
                                             r"\(1 in initial_conv.weight\)"):
        openspliceai.load(path)
