"""A run's loaded inputs, assembled in one place: checks, reference, model, scorer, annotation, lookups.

``Session.open(opts)`` is the only place a run is built (as datasette builds one ``Datasette``
that the CLI, the tests and plugins share): ``score`` (:func:`spliceannot.pipeline.score_file`),
the Python API, ``serve``, ``plot``, ``predict``, ``precompute`` and Ray shards open one and ask
it to ``score`` variants or draw a variant's ``tracks``. It makes every check that needs nothing
loaded first (declared values, output names, writer, device, scorer name), then opens the
reference, asks the model which scorer its outputs need, loads the annotation through that
scorer (or the registry), refuses what the scorer or annotation cannot take (a scorer's own
options under another scorer, ``-M 1`` without splice sites), opens the lookups and writes the
run's provenance (``run_info``: what the output header records and resume, the cache and
precomputed files match).
"""

import logging
import os

from . import __version__, options, registry
from .errors import UsageError
from .models import Model

log = logging.getLogger("spliceannot")
NONFINITE = "model output not finite"


def check_options(opts, output_path: str = "-"):
    """The checks that need nothing loaded; returns the writer class."""
    from .io.output import OutputTarget

    for option in options.declared().values():
        if option.required and not opts[option.name]:
            raise UsageError(f"no {option.name}: give {option.label}")
    options.check(opts)  # what each declaration refuses: choices, bounds, rules between options
    if opts.resume and output_path == "-":
        raise UsageError("--resume needs an output file, not stdout")
    writer_cls = registry.writer_for(opts.format, output_path)
    if opts.write_index and (writer_cls.name != "vcf" or not output_path.lower().endswith(
            (".vcf.gz", ".vcf.bgz", ".bcf"))):
        raise UsageError(f"-W indexes a .vcf.gz or .bcf output, not {output_path!r}"
                         + (" (the vep writer indexes its file itself)"
                            if writer_cls.name == "vep" else ""))
    if opts.resume and not writer_cls.resumable:
        raise UsageError(f"--resume is not supported by the {writer_cls.name} writer")
    # Every output name is checked before any work: a missing directory is no reason to lose a run.
    OutputTarget(output_path)
    for option in options.declared().values():
        if option.role == "output" and opts[option.name]:
            OutputTarget(opts[option.name], option.label)
    check_device(opts.device)
    registry.scorers().get(opts.scorer)  # an unknown name is a usage error now, not later
    return writer_cls


def check_device(device) -> None:
    """``--device cuda`` where no GPU answers is refused up front (a Ray worker's is checked
    where it runs)."""
    if device in (None, "cpu", "auto"):
        return
    from .engine import resolve_device

    try:
        resolve_device(device)
    except (ValueError, RuntimeError) as exc:
        raise UsageError(f"--device {device}: {exc}") from None


def input_paths(opts) -> list:
    """(label, path) of the inputs the options name (``role="input"``), indexes included."""
    out = []
    for option in options.declared().values():
        value = opts.get(option.name)
        if option.role != "input" or not value:
            continue
        for path in (value if option.multiple else (value,)):
            if isinstance(path, (str, os.PathLike)) and os.path.exists(path):
                out += _with_index(option.flags[0] if option.flags else option.name,
                                   os.fspath(path))
    return out


def _with_index(label, path):
    yield label, path
    for suffix in (".fai", ".gzi", ".tbi", ".csi"):
        if os.path.exists(path + suffix):
            yield f"{label} index", path + suffix


def check_paths(input_path, outputs, opts) -> None:
    """No output may name an input or another output (nor their partials and locks): refused up
    front, before an input is truncated. The inputs and outputs are the options declared with
    ``role="input"``/``"output"`` plus ``input_path`` (None: none) and ``outputs``: ``(label,
    path)`` pairs, the first being the run's ``-o`` (its partial and lock are checked too)."""
    from .io.output import check_distinct, side_files

    inputs = list(_with_index("input VCF", input_path)) if input_path else []
    inputs += input_paths(opts)
    outs = []
    for i, (label, path) in enumerate(outputs):
        if path:
            outs.append((label, path, side_files(path) if i == 0 else []))
    for option in options.declared().values():
        value = opts.get(option.name)
        if option.role == "output" and value:
            outs.append((option.label, os.fspath(value), side_files(value)))
    check_distinct(inputs, outs)


def open_model(spec):
    """The model ``--model spec`` names (a registered name or a path a backend claims): the one
    call that resolves a model, for a session and for ``predict_sequence``."""
    return registry.model(os.fspath(spec) if isinstance(spec, os.PathLike) else spec)


class Session:
    """One run's inputs, loaded once; ``score(variants)``, ``tracks(variant)``, ``close()``."""

    def __init__(self, opts, writer_cls=None):
        self.opts, self.writer_cls = opts, writer_cls
        self.reference = self.genes = self.scorer = self.settings = self.ctx = None
        self.output = None  # records.Output: how the writers render this run's entries
        self.lookups, self.run_info = [], {}
        self.transcripts = opts.transcripts  # as loaded: "all" where the run chose every one
        self._model = None
        self._request_lookups = {}  # settings key -> lookups opened for a request's settings

    # ---- assembly -----------------------------------------------------------------------------

    @classmethod
    def open(cls, opts, output_path: str = "-", *, keep_tracks: bool = False,
             lookups: bool = True, all_transcripts: bool = False) -> "Session":
        """Check ``opts`` and load what the run needs; raises UsageError before any output.
        ``keep_tracks``: entries carry the tracks finish compared (drawing, serve);
        ``all_transcripts``: a GTF's every transcript where ``--transcripts`` is not given and
        the genes come through the registry (serve, as the lookup)."""
        session = cls(opts, check_options(opts, output_path))
        try:
            session._assemble(keep_tracks, lookups, all_transcripts)
        except BaseException:
            session.close()
            raise
        return session

    @classmethod
    def for_prediction(cls, opts) -> "Session":
        """What ``predict`` reads: the reference, the model and, where ``-A`` names one with
        splice sites, the annotation (``genes``: None for none or ``both-strands``, which
        ``predict`` reads as both strands unmasked); no scorer, writer or lookups."""
        from .io.reference import Reference

        options.check(opts)
        check_device(opts.device)
        if not opts.annotation and opts.transcripts:
            raise UsageError("--transcripts needs a GTF/GFF3 annotation (-A)")
        session = cls(opts)
        try:
            session.reference = Reference(opts.reference)
            if opts.annotation:
                genes = registry.load_annotation(opts.annotation, transcripts=opts.transcripts)
                if genes.has_splice_sites:  # e.g. -A both-strands: no transcripts
                    from .genes.assembly import check_assembly

                    check_assembly(session.reference, genes)  # -A grch38, another FASTA
                    session.genes = genes
        except BaseException:
            session.close()
            raise
        return session

    @property
    def model(self):
        """The run's model, resolved on first use (backends load their weights lazily too)."""
        if self._model is None:
            model = self.opts.model
            self._model = model if isinstance(model, Model) else open_model(model)
        return self._model

    def _assemble(self, keep_tracks, with_lookups, all_transcripts=False):
        from .lookup import provenance
        from .io.reference import Reference
        from .scorer import Scorer, ScoringContext

        opts = self.opts
        self.reference = Reference(opts.reference)
        scorer = registry.scorers().get(opts.scorer)
        own_family = scorer.output is not Scorer.output  # entries other than SpliceAI's
        if self.model.scorer:  # a model whose outputs need their own scorer (Pangolin's)
            scorer = registry.scorers().get(self.model.scorer)
            own_family = scorer.output is not Scorer.output
        elif own_family:
            raise UsageError(f"--scorer {scorer.name}: only for the models that name it "
                             f"(--model {self.model.name} gives SpliceAI's scores)")
        self.scorer = scorer
        check_scorer_options(opts, scorer)
        transcripts = opts.transcripts
        if transcripts is None and scorer.load_annotation is None \
                and (all_transcripts or (not own_family and opts.per_transcript)) \
                and "transcripts" in registry.annotation_source(opts.annotation).options:
            transcripts = "all"  # --per-transcript scores every transcript a GTF holds
        self.transcripts = transcripts
        load = scorer.load_annotation or registry.load_annotation
        self.genes = load(opts.annotation, transcripts=transcripts)
        minimal = bool(self.writer_cls and self.writer_cls.minimal_alleles)
        self.settings = options.Settings.of(opts, minimal=minimal, keep_tracks=keep_tracks)
        self.check_settings(self.settings)
        self.ctx = ScoringContext(self.reference, self.genes, self.model, self.settings,
                                  options=opts)
        # The options that change scores, as declared: 1.3.1's always, the others when set.
        run_info = {"version": __version__, "model": self.model.name,
                    "model_hash": provenance.model_digest(self.model),
                    "annotation": opts.annotation,
                    "annotation_hash": provenance.annotation_digest(self.genes),
                    "reference_hash": provenance.reference_digest(self.reference),
                    **self.settings.basics(), "scorer": scorer.name, **self.settings.extras()}
        if transcripts is not None:
            run_info["transcripts"] = transcripts
        self.output = output = scorer.output.for_run(self.settings)
        if own_family:
            run_info["info"] = output.info_id
            if opts.precomputed or opts.score_cache:
                raise UsageError(f"--precomputed and --score-cache hold SpliceAI scores; the "
                                 f"{scorer.name} scorer's INFO/{output.info_id} cannot "
                                 f"use them")
        if self.writer_cls is not None and self.writer_cls.moves_entries \
                and not output.movable:
            raise UsageError(f"the {self.writer_cls.name} writer moves entries to other "
                             f"spellings; INFO/{output.info_id} entries cannot be moved: use "
                             f"vcf, tsv or jsonl")
        self.run_info = run_info
        if with_lookups:
            self.lookups = open_lookups(opts, self.ctx, run_info)
        # Lookups first, as they are asked: "precomputed+cache+fast".
        run_info["scorer"] = "+".join([lookup.name for lookup in self.lookups] + [scorer.name])

    def check_settings(self, settings) -> None:
        """What the loaded annotation refuses of ``settings`` (a request's, in serve)."""
        if settings.mask and not self.genes.has_splice_sites:
            raise UsageError(f"-M 1 needs annotated splice sites; -A {self.opts.annotation} "
                             f"has none")

    # ---- use ----------------------------------------------------------------------------------

    def context(self, settings=None, genes=None):
        """The scoring context of this run, or of a request's ``settings`` and ``genes``."""
        from .scorer import ScoringContext

        if settings is None and genes is None:
            return self.ctx
        settings = self.settings if settings is None else settings
        self.check_settings(settings)
        chosen = {k: v for k, v in settings.as_dict().items()
                  if k not in ("minimal", "keep_tracks") and k in options.declared()}
        return ScoringContext(self.reference, genes or self.genes, self.model, settings,
                              options=self.opts.replace(**chosen))

    def score(self, variants, settings=None, genes=None, checked: bool = True) -> list:
        """One Result per variant, in order, in chunks of ``--chunk-size`` (``settings``,
        ``genes``: a request's, as serve's; ``checked``: non-finite outputs flagged)."""
        from .scorer import score_chunk

        ctx = self.context(settings, genes)
        lookups = self.lookups if ctx is self.ctx else self._lookups_for(ctx)
        variants = list(variants)
        out = []
        for start in range(0, len(variants), self.opts.chunk_size):
            chunk = score_chunk(variants[start:start + self.opts.chunk_size], ctx, self.scorer,
                                lookups)
            out += [finite_or_flagged(r) for r in chunk] if checked else chunk
        return out

    def request_lookups(self, ctx) -> list:
        """The lookups ``ctx``'s options ask for, opened for its settings; only those whose
        hits carry tracks where the settings keep them (the caller closes them)."""
        settings = ctx.settings
        kept = []
        for lookup in open_lookups(ctx.options, ctx, settings.basics()):
            if settings.keep_tracks and not lookup.keeps_tracks:
                lookup.close()
            else:
                kept.append(lookup)
        return kept

    def _lookups_for(self, ctx) -> list:
        """Lookups for a request's settings, opened once per settings; only those whose hits
        carry tracks where the settings keep them."""
        settings = ctx.settings
        key = tuple(sorted((k, repr(v)) for k, v in settings.as_dict().items())) + (id(ctx.genes),)
        if key not in self._request_lookups:
            self._request_lookups[key] = self.request_lookups(ctx)
        return self._request_lookups[key]

    def tracks(self, variant, gene=None, settings=None, genes=None) -> list:
        """The REF/ALT tracks of each (ALT, gene) of ``variant`` as the run's scorer computed
        them (:class:`spliceannot.plot.PlotData`), optionally of one gene or transcript only."""
        from .plot import tracks_of

        if settings is not None or not self.settings.keep_tracks:
            settings = (settings or self.settings).replace(keep_tracks=True)
        (result,) = self.score([variant], settings, genes, checked=False)
        return tracks_of(variant, result, gene, self.scorer.name)

    def timings(self) -> dict:
        """Where the time went so far (the scorer's and every lookup's counts)."""
        out = dict(self.scorer.timings()) if self.scorer else {}
        for lookup in self.lookups:
            out.update(lookup.timings())
        return out

    def close(self) -> None:
        for lookup in self.lookups + [x for v in self._request_lookups.values() for x in v]:
            lookup.close()
        self.lookups, self._request_lookups = [], {}
        if self.reference is not None:
            self.reference.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_scorer_options(opts, scorer) -> None:
    """A scorer's own options (declared with ``scorers=``) set for another scorer, and options
    that change scores a scorer does not read (its ``accepts``): refused."""
    if scorer.accepts is not None:
        for option in options.scoring():
            if option.name not in scorer.accepts and opts[option.name] != option.initial():
                taken = [_flag(options.get(n)) for n in scorer.accepts
                         if n in options.declared()]
                raise UsageError(f"the {scorer.name} scorer takes {', '.join(taken)} only "
                                 f"(not {_flag(option)})")
    for option in options.declared().values():
        if option.scorers and scorer.name not in option.scorers \
                and opts[option.name] != option.initial():
            raise UsageError(f"{option.label} is an option of the "
                             f"{' or '.join(option.scorers)} scorer; this run scores with "
                             f"{scorer.name}")


def _flag(option) -> str:
    return option.flags[0] if option.flags else option.name


def open_lookups(opts, ctx, run_info: dict) -> list:
    """The registered lookups this run's options ask for, in the order they are asked."""
    opened = []
    try:
        for cls in sorted(registry.lookups().values(), key=lambda c: c.order):
            lookup = cls.open(opts, ctx, run_info)
            if lookup is not None:
                opened.append(lookup)
    except BaseException:
        for lookup in opened:
            lookup.close()
        raise
    return opened


def finite_or_flagged(result):
    """NaN/inf guard: a non-finite model output is never a score; the record passes unscored."""
    from .records import Result, all_finite

    if result.reason is None and not all_finite(result):
        return Result(result.variant, NONFINITE, alt_skips=result.alt_skips)
    return result
