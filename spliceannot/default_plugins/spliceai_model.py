"""Built-in model backend ``spliceai``: the five original SpliceAI-10k Keras models, read with h5py."""

from spliceannot.hookspecs import hookimpl
from spliceannot.models import EnsembleModel


class SpliceAIModel(EnsembleModel):
    name = "spliceai"
    description = ("SpliceAI-10k, the five original Illumina models (Jaganathan et al. 2019), "
                   "from the installed spliceai 1.3.1 package; weights CC BY-NC 4.0")
    context = 10000

    def load_networks(self):
        from spliceannot.models import spliceai_package

        return spliceai_package.networks()

    def weight_files(self):
        from spliceannot.models import spliceai_package

        return spliceai_package.model_paths()

    def info(self):
        info = super().info()
        info["members"] = 5
        return info

    def weights(self):
        from spliceannot.errors import MissingDependency
        from spliceannot.models import spliceai_package

        try:
            spliceai_package.model_paths()
        except MissingDependency:
            return "missing (pip install --no-deps spliceai==1.3.1)"
        return "installed"


@hookimpl
def register_models(register):
    register(SpliceAIModel())
