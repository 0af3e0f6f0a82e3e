"""The h5py loader rebuilds the original Keras networks: layout and raw probabilities (<= 1e-5)."""

import numpy as np
import pytest
import torch

from support.paths import CHR16_FASTA, GOLDEN
from spliceannot.models import keras_h5
from spliceannot.models.network import UNITS_10K
from spliceannot.sequence import one_hot, reverse_complement_onehot


def test_layout_of_all_five(spliceai_model):
    from spliceannot.models import spliceai_package

    for path in spliceai_package.model_paths():
        config, state = keras_h5.parse(path)
        assert [tuple(u) for u in config.units] == UNITS_10K
        assert config.context == 10000
        assert config.bn_eps == pytest.approx(1e-3)
        assert state["stem.weight"].shape == (32, 4, 1)
        assert state["units.15.conv1.weight"].shape == (32, 32, 41)
        assert state["head.weight"].shape == (3, 32, 1)
        assert sorted(k for k in state if k.startswith("skips.")) == sorted(
            f"skips.{i}.{p}" for i in (3, 7, 11, 15) for p in ("weight", "bias"))


def test_probabilities_match_keras(spliceai_model):
    """tests/golden/keras_probs.npz holds Keras' own outputs (recipe: tests/golden/README.md)."""
    golden = np.load(GOLDEN / "keras_probs.npz")
    seq = "".join(line.strip() for line in open(CHR16_FASTA).readlines()[1:])
    nets = spliceai_model.networks()
    inference = spliceai_model.inference_nets()  # what scoring runs
    for w, (centre, strand) in enumerate(zip(golden["centres"], golden["strands"])):
        x = one_hot(seq[centre - 5051:centre + 5050])
        if strand == "-":
            x = reverse_complement_onehot(x)
        xt = torch.from_numpy(np.ascontiguousarray(x.T))[None]
        for m, (net, fast) in enumerate(zip(nets, inference)):
            with torch.no_grad():
                y = torch.softmax(net(xt), 1)[0].T.numpy()
                y_fast = fast.probs(fast.forward(xt.transpose(1, 2).contiguous())[0])[0].numpy()
            keras = golden["probs"][w, m]
            assert y.shape == y_fast.shape == keras.shape == (101, 3)
            assert np.abs(y - keras).max() <= 1e-5
            assert np.abs(y_fast - keras).max() <= 1e-5
    # A real splice site is in there: the + strand window is centred on an acceptor.
    assert golden["probs"][0, :, 50, 1].mean() > 0.9


def test_not_a_keras_file(tmp_path):
    from spliceannot.errors import ModelFileError

    bad = tmp_path / "x.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ModelFileError, match="not a readable HDF5"):
        keras_h5.parse(bad)


def test_non_finite_keras_weights_are_refused(spliceai_model, tmp_path):
    import shutil

    import h5py

    from spliceannot.errors import ModelFileError
    from spliceannot.models import spliceai_package

    path = tmp_path / "model1.h5"
    shutil.copyfile(spliceai_package.model_paths()[0], path)
    with h5py.File(path, "r+") as f:
        def first_kernel(name, obj):
            return name if isinstance(obj, h5py.Dataset) and "kernel" in name else None
        name = f["model_weights"].visititems(first_kernel)
        data = f["model_weights"][name]
        values = data[()]
        values.flat[0] = np.inf
        data[...] = values
    with pytest.raises(ModelFileError, match=f"^{path}: the weights hold NaN or infinite values"):
        keras_h5.load(path)
