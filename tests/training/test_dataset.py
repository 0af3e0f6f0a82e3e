"""HDF5 layout of create-data output, chromosome split and the batch reader."""

import json

import h5py
import numpy as np
import pytest

from support.paths import TOY_FA, TOY_GFF
from support.toy import toy_seq
from spliceannot.errors import UsageError
from spliceannot.training import labels as L
from spliceannot.training.dataset import WindowData, create_data, one_hot


@pytest.fixture
def toy_data(tmp_path):
    report = create_data(TOY_FA, TOY_GFF, tmp_path, context=10, window=30,
                         test_chroms=["U"], val_fraction=0.0, species="toy")
    return tmp_path, report


def test_layout(toy_data):
    out, report = toy_data
    assert sorted(p.name for p in out.iterdir()) == ["stats.json", "test.h5", "train.h5",
                                                     "val.h5"]
    with h5py.File(out / "train.h5") as f:
        assert f["x"].dtype == np.uint8 and f["x"].shape == (8, 40)  # geneP 4 + geneM 4 windows
        assert f["y"].dtype == np.int8 and f["y"].shape == (8, 30)
        assert f["x"].chunks == (1, 40) and f["x"].compression == "gzip"
        assert f["y"].chunks == (1, 30) and f["y"].compression == "gzip"
        assert f["window_gene"][:].tolist() == [0] * 4 + [1] * 4
        assert f["window_offset"][:].tolist() == [0, 30, 60, 90] * 2
        assert [s.decode() for s in f["genes/name"][:]] == ["geneP", "geneM"]
        assert [s.decode() for s in f["genes/strand"][:]] == ["+", "-"]
        assert f["genes/tx_start"][:].tolist() == [21, 151]
        a = f.attrs
        assert a["format"] == "spliceannot-windows" and a["context"] == 10 and a["window"] == 30
        assert a["split"] == "train" and a["species"] == "toy"
        assert json.loads(a["stats"]) == {"genes": 2, "windows": 8, "positions": 200,
                                          "acceptors": 4, "donors": 4}
        # the stored rows are exactly the label module's windows
        x, y = L.gene_windows(_gene("geneM"), toy_seq(), 30, 10)
        assert np.array_equal(f["x"][4:8], x) and np.array_equal(f["y"][4:8], y)
    with h5py.File(out / "test.h5") as f:
        assert [s.decode() for s in f["genes/chrom"][:]] == ["chrU"]
    assert report["splits"]["test"] == {"genes": 1, "windows": 3, "positions": 90,
                                        "acceptors": 1, "donors": 1}
    assert json.loads((out / "stats.json").read_text())["splits"] == report["splits"]


def _gene(name):
    from spliceannot.training.transcripts import load_genes

    return next(g for g in load_genes(TOY_GFF) if g.name == name)


def test_val_fraction_and_default_split(tmp_path):
    report = create_data(TOY_FA, TOY_GFF, tmp_path, context=10, window=30, val_fraction=0.99)
    s = report["splits"]
    assert s["test"]["genes"] == 0  # neither chrT nor chrU is in SpliceAI's 1,3,5,7,9
    assert s["val"]["genes"] + s["train"]["genes"] == 3 and s["val"]["genes"] >= 2


def test_reader_orders_and_crops(toy_data):
    out, _ = toy_data
    d = WindowData(out / "train.h5")
    x, y = d.read([5, 1])
    with h5py.File(out / "train.h5") as f:
        assert np.array_equal(x[0], f["x"][5]) and np.array_equal(y[1], f["y"][1])
    xc, _ = d.read([5], context=4)
    assert np.array_equal(xc[0], x[0][3:-3])
    with pytest.raises(UsageError):
        d.read([0], context=20)
    oh = one_hot(x)
    assert oh.shape == (2, 4, 40) and oh.dtype == np.float32
    assert np.array_equal(oh.sum(1) == 0, x == L.N_CODE)
