"""Provenance digests: a model is named by the content of its files, without loading them."""

import json

import pytest
import torch

from spliceannot.io import identity
from spliceannot.lookup import provenance
from spliceannot.models import checkpoint
from spliceannot.models.network import NetworkConfig, SpliceNet


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(identity.CACHE_ENV, str(tmp_path / "cache"))


def save_small(path, seed=0):
    torch.manual_seed(seed)
    net = SpliceNet(NetworkConfig(width=4, units=[[3, 1], [3, 2]], skip_every=2)).eval()
    checkpoint.save(path, net, checkpoint.new_meta(net.config))
    return path


def digest_without_loading(path):
    model = checkpoint.CheckpointModel(path)
    value = provenance.model_digest(model)
    assert model._nets is None  # the weights were never read into torch
    return value


def test_checkpoint_digest_is_its_files_content(tmp_path):
    a = digest_without_loading(save_small(tmp_path / "a"))
    same = tmp_path / "copy"
    same.mkdir()
    for name in (checkpoint.META, checkpoint.WEIGHTS):
        (same / name).write_bytes((tmp_path / "a" / name).read_bytes())
    assert digest_without_loading(same) == a  # a copy elsewhere is the same model
    other = save_small(tmp_path / "c", seed=1)
    (other / checkpoint.META).write_bytes((tmp_path / "a" / checkpoint.META).read_bytes())
    assert digest_without_loading(other) != a  # other weights, same metadata and size


def test_calibration_changes_the_digest(tmp_path):
    path = save_small(tmp_path / "m")
    plain = digest_without_loading(path)
    meta = json.loads((path / checkpoint.META).read_text())
    meta["calibration"] = {"temperatures": [1.5]}
    (path / checkpoint.META).write_text(json.dumps(meta))
    assert digest_without_loading(path) != plain


def test_spliceai_digest_reads_no_weights_into_torch(spliceai_model):
    from spliceannot.default_plugins.spliceai_model import SpliceAIModel
    from spliceannot.models import spliceai_package

    fresh = SpliceAIModel()
    assert provenance.model_digest(fresh) == identity.files_digest(spliceai_package.model_paths())
    assert fresh._nets is None
