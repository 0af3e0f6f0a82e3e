"""The plugin's hook implementations: they register its option, model, scorer, genes and command."""

from spliceannot import hookimpl


@hookimpl
def register_options(register):
    from .semantics import OPTIONS

    for option in OPTIONS:
        register(option)


@hookimpl
def register_models(register):
    from .model import PangolinModel

    register(PangolinModel())


@hookimpl
def register_scorers(register):
    from .scorer import PangolinScorer

    register(PangolinScorer())


@hookimpl
def register_annotation_sources(register):
    from .genes import PangolinGenesSource

    register(PangolinGenesSource())


@hookimpl
def register_commands(app):
    from . import cli

    cli.register(app)
