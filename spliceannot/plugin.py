"""The plugin author's import surface: every name a plugin may use, in one documented module.

A plugin imports from four modules only: ``spliceannot`` (the notebook API and the contracts),
``spliceannot.plugin`` (this module: the contracts again, the data that flows between stages and
the building blocks the shipped plugins use), ``spliceannot.hookspecs`` (``hookimpl``) and
``spliceannot.errors``. Everything else is internal and may move between releases; a test
(tests/test_public_imports.py) holds the shipped plugins and the docs' examples to this list,
as llm's reference plugins import only ``llm``.

Names load on first use (nothing here imports torch, numpy or cyvcf2 until asked)::

    from spliceannot.plugin import Output, Result, Scorer, hookimpl
"""

import importlib

# public name -> (module under spliceannot, attribute)
_EXPORTS = {
    # the hook marker
    "hookimpl": ("hookspecs", "hookimpl"),
    # contracts (one per hook)
    "Model": ("models", "Model"),
    "EnsembleModel": ("models", "EnsembleModel"),
    "check_finite": ("models", "check_finite"),  # refuse NaN/inf weights at load, naming the file
    "AnnotationSource": ("genes", "AnnotationSource"),
    "Scorer": ("scorer", "Scorer"),
    "ScoringContext": ("scorer", "ScoringContext"),
    "Lookup": ("lookup", "Lookup"),
    "Writer": ("io.writer", "Writer"),
    "TextWriter": ("io.writer", "TextWriter"),
    "TrackWriter": ("tracks", "TrackWriter"),
    "Option": ("options", "Option"),
    # the data that flows: a family's entries and their declaration
    "Variant": ("io.variant", "Variant"),
    "Result": ("records", "Result"),
    "Plan": ("records", "Plan"),
    "Entry": ("records", "Entry"),
    "Output": ("records", "Output"),
    "NO_ALT": ("records", "NO_ALT"),
    "NO_GENE": ("records", "NO_GENE"),
    "NO_CONTIG": ("records", "NO_CONTIG"),
    "NO_SCORABLE_ALT": ("records", "NO_SCORABLE_ALT"),
    "Settings": ("options", "Settings"),
    "Options": ("options", "Options"),
    # genes
    "Gene": ("genes", "Gene"),
    "GeneTable": ("genes", "GeneTable"),
    "ContigMap": ("io.contig", "ContigMap"),
    "is_gff3": ("genes.gtf", "is_gff3"),
    "select_transcripts": ("genes.gtf", "select"),
    "cached_transcripts": ("genes.gtf", "cached_transcripts"),
    "gene_lines": ("genes.gtf", "gene_lines"),
    # sequences and files
    "one_hot": ("sequence", "one_hot"),
    "reverse_complement_onehot": ("sequence", "reverse_complement_onehot"),
    "open_text": ("io.files", "open_text"),
    "trim_alleles": ("io.variant", "trim_alleles"),
    # networks and running them
    "NetworkConfig": ("models.network", "NetworkConfig"),
    "SpliceNet": ("models.network", "SpliceNet"),
    "load_openspliceai": ("models.openspliceai", "load"),
    "InferenceNet": ("engine.inference", "InferenceNet"),
    "Engine": ("engine", "Engine"),
    "run_per_window": ("scorer", "run_per_window"),
    "score_chunk": ("scorer", "score_chunk"),
    "functional_forward": ("models.functional", "forward"),
    "to_layout": ("models.functional", "to_layout"),
    # testing a plugin (docs/testing-plugins.md)
    "registered": ("registry", "registered"),
    "get_model": ("registry", "model"),
    "cli_app": ("cli", "build_app"),
}
__all__ = sorted(list(_EXPORTS) + ["get_scorer", "get_annotation_source"])


def get_scorer(name: str):
    """The registered scorer called ``name`` (``fast``: the engine, ``delta``: per window), for
    a plugin scorer that hands its windows to the core's runners."""
    from .registry import scorers

    return scorers().get(name)


def get_annotation_source(name: str):
    """The registered annotation source called ``name``."""
    from .registry import annotation_sources

    return annotation_sources().get(name)


def __getattr__(name):
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'spliceannot.plugin' has no attribute {name!r}; the plugin "
                             f"surface is: {', '.join(__all__)}")
    module, attr = where
    value = getattr(importlib.import_module(f"spliceannot.{module}"), attr)
    globals()[name] = value
    return value


def __dir__():
    return __all__
