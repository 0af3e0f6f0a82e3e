"""Top-k accuracy and average precision on hand-computed examples."""

import numpy as np
import pytest

from spliceannot.training.evaluation import average_precision, site_metrics, topk_accuracy


def test_topk():
    site = np.array([1, 0, 1, 0, 0], bool)
    assert topk_accuracy(site, np.array([.9, .8, .7, .1, .0])) == 0.5  # top-2 = {0, 1}
    assert topk_accuracy(site, np.array([.9, .1, .7, .2, .0])) == 1.0
    assert topk_accuracy(site, np.array([.9, .8, .7, .1, .0]), 2.0) == 1.0  # top-4 holds both
    assert np.isnan(topk_accuracy(np.zeros(3, bool), np.zeros(3)))


def test_average_precision_matches_hand_computation():
    site = np.array([1, 0, 1, 0], bool)
    scores = np.array([.9, .8, .7, .1])
    # precision at the two positives: 1/1 and 2/3; recall steps of 1/2
    assert average_precision(site, scores) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # ties form one threshold: all four at once -> precision 1/2 over recall 1
    assert average_precision(site, np.ones(4)) == pytest.approx(0.5)


def test_site_metrics_perfect():
    y = np.array([0, 1, 0, 2, 0])
    p = np.eye(3)[y].astype(np.float32)
    m = site_metrics(y, p)
    assert m["acceptor"]["topk"] == 1.0 and m["donor"]["pr_auc"] == 1.0 and m["positions"] == 5
