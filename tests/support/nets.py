"""Seeded random networks for the engine and inference tests (random weights, not golden ones)."""


def random_net(context: int = 10000, seed: int = 0, slope: float = 0.0):
    """A SpliceNet in eval mode with seeded weights and random batch-norm statistics and affine
    terms (a fresh batch norm is the identity, which would hide a wrong one)."""
    import torch

    from spliceannot.models.network import NetworkConfig, SpliceNet

    torch.manual_seed(seed)
    config = NetworkConfig.preset(context)
    config.relu_slope = slope
    net = SpliceNet(config).eval()
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return net
