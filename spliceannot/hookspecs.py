"""The hook specifications of spliceannot: the markers and the documented contract of every hook.

Hooks only *register* things; the scoring pipeline is plain code that asks the registry. Each
`register_*` hook is called once per plugin manager, the first time something of that kind is
looked up, and receives a `register` callback. Calling it hands the host one object; the host
checks its type and rejects a name that is already taken. Nothing here imports torch or cyvcf2.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("spliceannot")
hookimpl = HookimplMarker("spliceannot")


@hookspec
def register_models(register):
    """Register model backends (networks that turn one-hot DNA into splice-site probabilities).

    Called when a model is looked up by name or `spliceannot models` runs.

    :param register: call ``register(model)`` with an instance of
        :class:`spliceannot.models.Model` for each backend. Weights must load lazily (on first
        ``predict``), so registering is cheap.
    :return: nothing.
    """


@hookspec
def register_annotation_sources(register):
    """Register gene annotation sources (what tells the scorer which genes overlap a variant).

    Called when ``-A/--annotation`` is resolved.

    :param register: call ``register(source)`` with an instance of
        :class:`spliceannot.genes.AnnotationSource`. A source answers to its ``name`` and
        may also claim file paths through ``claims(path)``.
    :return: nothing.
    """


@hookspec
def register_scorers(register):
    """Register variant scorers (what turns a model's REF/ALT predictions into annotations).

    Called when ``--scorer`` is resolved; the built-in ``delta`` scorer reproduces SpliceAI 1.3.1.

    :param register: call ``register(scorer)`` with an instance of
        :class:`spliceannot.scorer.Scorer`.
    :return: nothing.
    """


@hookspec
def register_lookups(register):
    """Register score lookups (stored scores consulted before the model runs).

    Called once per run while the pipeline is set up; each lookup decides from the run's options
    whether it takes part (the built-ins: ``--precomputed FILE`` and ``--score-cache DIR``).

    :param register: call ``register(lookup_class)`` with a subclass of
        :class:`spliceannot.lookup.Lookup`; the host calls its ``open`` per run.
    :return: nothing.
    """


@hookspec
def register_writers(register):
    """Register output writers (VCF, TSV, ...).

    Called when ``--format`` is resolved or inferred from the output file name.

    :param register: call ``register(writer_class)`` with a subclass of
        :class:`spliceannot.io.writer.Writer`; the host instantiates it per run.
    :return: nothing.
    """


@hookspec
def register_track_writers(register):
    """Register ``predict`` output writers (bigWig, bedGraph, BED, TSV, ...).

    Called when ``predict`` resolves an ``-o`` name to a writer by its suffix.

    :param register: call ``register(writer_class)`` with a subclass of
        :class:`spliceannot.tracks.TrackWriter`; the host instantiates it per output and names
        the files it writes with :meth:`~spliceannot.tracks.TrackWriter.files`.
    :return: nothing.
    """


@hookspec
def register_options(register):
    """Register run options (what ``spliceannot score`` and ``Options(...)`` accept).

    Called when options are first looked up: while the ``score`` command is built (so its
    ``--help`` lists them), when :class:`spliceannot.options.Options` are made and when a run
    is checked. An option declared with ``scoring=True`` changes scores: the output header
    records it when it is not at its default, precomputed files and the score cache must have
    been made with the same value, ``--resume`` compares it, ``spliceannot serve`` takes it as
    a query parameter and the option matrix gives it a row (its ``example``). Code reads the
    value by name: ``ctx.options["my_option"]`` (the run's options) or
    ``ctx.settings["my_option"]`` (the scoring ones, also in ``serve``).

    :param register: call ``register(option)`` with an instance of
        :class:`spliceannot.options.Option` for each option; a name or command-line flag that
        is already taken is refused.
    :return: nothing.
    """


@hookspec
def register_commands(app):
    """Add commands to the ``spliceannot`` command line.

    Called once while the CLI is built, before arguments are parsed.

    :param app: the root :class:`typer.Typer` application; add commands with ``@app.command()``
        or sub-applications with ``app.add_typer``. Import heavy modules inside the command, so
        ``spliceannot --help`` stays instant.
    :return: nothing.
    """
