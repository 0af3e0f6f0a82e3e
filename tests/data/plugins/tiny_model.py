"""A plugin file for --plugins-dir tests: a seeded random SpliceNet with 80 nt of context."""

from spliceannot.hookspecs import hookimpl
from spliceannot.models import EnsembleModel


class TinyModel(EnsembleModel):
    name = "tiny-dir"
    description = "seeded random 80 nt SpliceNet (tests only)"
    context = 80

    def load_networks(self):
        import torch

        from spliceannot.models.network import NetworkConfig, SpliceNet

        torch.manual_seed(0)
        return [SpliceNet(NetworkConfig.preset(80))]


@hookimpl
def register_models(register):
    register(TinyModel())
