"""SpliceNet shapes and presets."""

import pytest
import torch

from spliceannot.models.network import NetworkConfig, SpliceNet


@pytest.mark.parametrize("context,units", [(80, 4), (400, 8), (2000, 12), (10000, 16)])
def test_presets(context, units):
    config = NetworkConfig.preset(context)
    assert config.context == context
    assert len(config.units) == units
    net = SpliceNet(config).eval()
    with torch.no_grad():
        y = net(torch.zeros(2, 4, context + 7))
    assert y.shape == (2, 3, 7)
    assert sorted(net.skips.keys(), key=int) == [str(i) for i in range(3, units, 4)]


def test_bad_preset():
    with pytest.raises(ValueError, match="context must be one of"):
        NetworkConfig.preset(123)
