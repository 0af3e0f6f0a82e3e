"""Old module paths (before the pipeline subpackages) kept importable for third-party plugins.

``import spliceannot.scoring`` gives the very module object of ``spliceannot.pipeline``, so
attributes, classes and monkeypatches are shared, not copied.
"""

import importlib
import importlib.abc
import importlib.util
import sys

MOVED = {
    "vcf": "io.vcf", "variant": "io.variant", "reference": "io.reference", "contig": "io.contig",
    "resume": "io.resume", "writer": "io.writer",
    "annotation": "genes", "gtf": "genes.gtf",
    "model": "models", "network": "models.network", "keras_h5": "models.keras_h5",
    "checkpoint": "models.checkpoint", "spliceai_package": "models.spliceai_package",
    "inference": "engine.inference", "cone": "engine.cone",
    "precomputed": "lookup.precomputed", "score_cache": "lookup.score_cache",
    "provenance": "lookup.provenance",
    "distributed": "scale.distributed", "precompute": "scale.precompute",
    "scoring": "pipeline",
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``spliceannot.<old>`` to the module now at ``spliceannot.<new>``."""

    def __init__(self, package: str):
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        head, _, leaf = fullname.rpartition(".")
        if head == self.package and leaf in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(f"{self.package}.{MOVED[spec.name.rpartition('.')[2]]}")

    def exec_module(self, module):
        pass  # already executed under its new name


def install(package: str) -> None:
    if not any(isinstance(f, MovedModules) for f in sys.meta_path):
        sys.meta_path.insert(0, MovedModules(package))
