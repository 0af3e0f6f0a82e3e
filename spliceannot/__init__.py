"""spliceannot: SpliceAI-family splice delta scores for VCFs, on a pluggy plugin host.

The public API. A notebook user scores variants and sequences::

    import spliceannot
    df = spliceannot.score_variants(["chr16-262226-G-A"], reference="genome.fa",
                                    annotation="grch38", distance=500, as_frame=True)

A plugin author imports ``hookimpl`` and the contracts (``Model``, ``AnnotationSource``,
``Scorer``, ``Lookup``, ``Writer``, ``Option``, a family's ``Output``) from here, and the rest
of the plugin surface from :mod:`spliceannot.plugin`. Names load on first use, so ``import
spliceannot`` (and ``spliceannot --help``) stays instant: nothing imports torch or cyvcf2 here.
"""

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    # scoring and prediction
    "score_variants": "api", "score_vcf": "api", "predict_sequence": "api",
    "results_frame": "api", "results_rows": "api", "parse_variant": "api",
    "Options": "options", "Option": "options", "Summary": "summary",
    "Variant": "io.variant", "Settings": "options", "Result": "records",
    "DeltaScore": "semantics.spliceai", "Output": "records", "Entry": "records",
    # plugin authors
    "hookimpl": "hookspecs", "Model": "models", "EnsembleModel": "models",
    "NamedCheckpoint": "models.checkpoint",
    "AnnotationSource": "genes", "GeneTable": "genes", "Gene": "genes",
    "Scorer": "scorer", "ScoringContext": "scorer", "Lookup": "lookup",
    "Writer": "io.writer", "TextWriter": "io.writer",
    "SpliceannotError": "errors", "UsageError": "errors", "InputError": "errors",
    "PluginError": "errors", "ArgumentError": "errors", "ArgumentTypeError": "errors",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spliceannot' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
