"""The scoring pipeline: stream VCF records in chunks through a scorer to a writer, losing none.

The stages, in order: read (:mod:`spliceannot.io.vcf`) -> plan (:func:`delta.plan`, which gives
each task its geometry) -> lookups (:mod:`spliceannot.lookup`) -> model run (the scorer) ->
finish (:func:`delta.finish`) -> write (a :class:`~spliceannot.io.writer.Writer` given plain
:class:`~spliceannot.delta.Result` s); :func:`spliceannot.scorer.score_chunk` runs the middle ones.

Every record the VCF parser can read is written, in input order, whatever happened to it;
unscored ones pass through unannotated, each with one warning, a count by reason and (with
``rejects``) a line in the rejects file. Output goes to ``OUT.partial`` and is renamed to ``OUT``
only when the run completes; after a failure or Ctrl-C the partial file stays under that name,
the error names it, and ``resume`` continues from its last complete record.
"""

import logging
import math
import os
import time
from dataclasses import dataclass

from . import __version__, delta, options, registry
from .lookup import provenance
from .errors import InputError, OutputError, SpliceannotError, UsageError
from .io.output import PARTIAL_SUFFIX, ByteSink, OutputTarget, TextSink, check_writable_path
from .io.passthrough import GeneSpans
from .progress import Progress
from .io.reference import Reference
from .io.resume import check_settings, replay
from .scorer import ScoringContext, score_chunk
from .summary import Summary
from .io.vcf import MalformedLine, VcfReader
from .io.writer import RejectsWriter, open_writer

log = logging.getLogger("spliceannot")
MALFORMED = "malformed VCF line"
NONFINITE = "model output not finite"
TELOMERE = "POS 0 (a telomere) cannot be scored"


class Interrupted(SpliceannotError):
    exit_code = 130


# The options of a run are declared once, in spliceannot.default_plugins.builtin_options (and by
# plugins through register_options); ``Options(reference=..., annotation=..., distance=500)``.
Options = options.Options


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


def check_contigs(reader, reference, genes) -> None:
    """One up-front line on how VCF header contigs map to the FASTA and the annotation."""
    names = reader.contigs
    if not names:
        return
    renamed = [n for n in names if reference.resolve(n) not in (None, n)]
    absent = [n for n in names if reference.resolve(n) is None]
    unannotated = [n for n in names if genes.contigs.resolve(n) is None]
    if renamed:
        log.info("%d VCF contigs matched to the FASTA by renaming (e.g. %s -> %s)", len(renamed),
                 renamed[0], reference.resolve(renamed[0]))
    if absent:
        log.warning("%d of %d VCF header contigs are absent from the FASTA (%s); their records "
                    "pass through unscored", len(absent), len(names), ", ".join(absent[:5]))
    if len(unannotated) == len(names):
        log.warning("no VCF header contig has a gene in annotation %s (annotation contigs: %s)",
                    genes.name, ", ".join(genes.contigs.names[:5]))


@dataclass
class Run:
    """Everything a run is set up with, checked before any output is opened."""

    writer_cls: type
    reference: object
    genes: object
    model: object
    scorer: object
    lookups: list
    ctx: ScoringContext
    run_info: dict

    def close(self):
        for lookup in self.lookups:
            lookup.close()
        self.reference.close()


def check_options(opts: Options, output_path: str):
    """The checks that need nothing loaded; returns the writer class."""
    for option in options.declared().values():
        if option.required and not opts[option.name]:
            raise UsageError(f"no {option.name}: give {option.label}")
    options.check(opts)  # what each declaration refuses: choices, bounds, rules between options
    if opts.resume and output_path == "-":
        raise UsageError("--resume needs an output file, not stdout")
    writer_cls = registry.writer_for(opts.format, output_path)
    if opts.resume and not writer_cls.resumable:
        raise UsageError(f"--resume is not supported by the {writer_cls.name} writer")
    # Every output name is checked before any work: a missing directory is no reason to lose a run.
    OutputTarget(output_path)
    if opts.rejects:
        check_writable_path(opts.rejects, "--rejects")
    if opts.device not in (None, "cpu", "auto"):  # checked where it runs: a Ray worker's GPU
        from .engine import resolve_device

        try:
            resolve_device(opts.device)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    registry.scorers().get(opts.scorer)  # an unknown name is a usage error now, not later
    return writer_cls


def prepare(opts: Options, output_path: str) -> Run:
    """Check the options and load what the run needs; raises UsageError before any output."""
    writer_cls = check_options(opts, output_path)
    scorer = registry.scorers().get(opts.scorer)
    reference = Reference(opts.reference)
    try:
        transcripts = opts.transcripts
        if transcripts is None and opts.per_transcript \
                and "transcripts" in registry.annotation_source(opts.annotation).options:
            transcripts = "all"  # --per-transcript scores every transcript a GTF holds
        genes = registry.load_annotation(opts.annotation, transcripts=transcripts)
        if opts.mask and not genes.has_splice_sites:
            raise UsageError(f"-M 1 needs annotated splice sites; -A {opts.annotation} has none")
        model = registry.model(opts.model)
        settings = options.Settings.of(opts, minimal=writer_cls.minimal_alleles)
        ctx = ScoringContext(reference, genes, model, settings, options=opts)
        # The options that change scores, as declared: 1.3.1's always, the others when set.
        run_info = {"version": __version__, "model": model.name,
                    "model_hash": provenance.model_digest(model), "annotation": opts.annotation,
                    "annotation_hash": provenance.annotation_digest(genes),
                    **settings.basics(), "scorer": scorer.name, **settings.extras()}
        if transcripts is not None:
            run_info["transcripts"] = transcripts
        lookups = open_lookups(opts, ctx, run_info)
        # Lookups first, as they are asked: "precomputed+cache+fast".
        run_info["scorer"] = "+".join([lookup.name for lookup in lookups] + [scorer.name])
    except BaseException:
        reference.close()
        raise
    return Run(writer_cls, reference, genes, model, scorer, lookups, ctx, run_info)


def score_file(input_path: str, output_path: str, opts: Options) -> Summary:
    """Score ``input_path`` into ``output_path`` ('-' for stdin/stdout); returns the run summary."""
    check_options(opts, output_path)
    target = OutputTarget(output_path)
    target.lock()  # before any work: a second run on this output stops here, at once
    try:
        run = prepare(opts, output_path)
        try:
            return _score(input_path, target, opts, run)
        finally:
            run.close()
    finally:
        target.unlock()


def _score(input_path, target, opts, run) -> Summary:
    scorer = run.scorer
    if opts.threads:
        import torch

        torch.set_num_threads(opts.threads)
    reader = VcfReader(input_path)
    check_contigs(reader, run.reference, run.genes)
    output_path, working = target.path, target.working
    done = []
    if opts.resume and not target.direct and os.path.exists(working):
        done = run.writer_cls.completed(working)
        check_settings(working, run.run_info)
        os.replace(working, working + ".old")
    writer = open_writer(run.writer_cls, working, reader, dict(run.run_info), output_path)
    rejects = None
    complete = False
    summary = Summary()
    timings_before = _timings(run)  # a scorer kept from an earlier run counts on
    started = time.perf_counter()
    records = iter(reader)
    # Trimming can move POS into a gene: then every record is planned.
    spans = None if opts.trim_alleles else GeneSpans(run.genes, run.reference)
    try:
        if opts.rejects:
            rejects = RejectsWriter(opts.rejects)
        if opts.resume and done:
            records = replay(records, done, writer, summary)
            os.unlink(working + ".old")
            log.info("resumed after %d completed records", summary.records_out)
        with Progress(enabled=opts.progress) as bar:
            chunk = []
            for record in records:
                chunk.append(record)
                if len(chunk) >= opts.chunk_size:
                    _flush(chunk, run, writer, summary, rejects, opts, spans)
                    bar.advance(len(chunk), summary.records_in, time.perf_counter() - started)
                    chunk = []
            if chunk:
                _flush(chunk, run, writer, summary, rejects, opts, spans)
                bar.advance(len(chunk), summary.records_in, time.perf_counter() - started)
        writer.close()
        complete = True
    except KeyboardInterrupt:
        raise Interrupted(_kept("interrupted", working, output_path)) from None
    except SpliceannotError as exc:
        raise type(exc)(_kept(str(exc), working, output_path)) from None
    except OSError as exc:  # a writer that let a raw write error through
        from .io.output import write_error

        raise OutputError(_kept(str(write_error(exc, output_path)), working, output_path)) from None
    finally:
        if not complete:
            try:
                writer.abort()
            except (SpliceannotError, OSError):
                pass  # the first error is the one to report
        reader.close()
        if rejects:
            rejects.close()
        summary.seconds = time.perf_counter() - started
        summary.timings = {k: v - timings_before.get(k, 0) for k, v in _timings(run).items()}
    target.commit()
    return summary


def _timings(run) -> dict:
    out = dict(run.scorer.timings())
    for lookup in run.lookups:
        out.update(lookup.timings())
    return out


def _kept(message, working, output_path):
    if not working.endswith(PARTIAL_SUFFIX) or not os.path.exists(working):  # written directly
        return message
    return (f"{message}; the records written so far are kept in {working} (rerun the same "
            f"command with --resume to continue)")


def _flush(chunk, run, writer, summary, rejects, opts, spans=None):
    # Records outside every gene skip planning and the model (1.3.1 leaves them as they are).
    bypass = {}
    if spans is not None:
        for i, r in enumerate(chunk):
            if r.malformed is None and r.variant.pos > 0:
                why = spans.reason(r.variant.chrom, r.variant.pos)
                if why is not None:
                    bypass[i] = why
    good = [r for i, r in enumerate(chunk)
            if r.malformed is None and r.variant.pos > 0 and i not in bypass]
    results = iter(score_chunk([r.variant for r in good], run.ctx, run.scorer, run.lookups)
                   if good else ())
    for i, record in enumerate(chunk):
        if record.malformed is not None:
            result = delta.Result(record.variant, MALFORMED, detail=record.malformed)
        elif record.variant.pos < 1:
            result = delta.Result(record.variant, TELOMERE)
        elif i in bypass:
            result = delta.Result(record.variant, bypass[i])
        else:
            result = next(results, None)
            if result is None:
                raise RuntimeError(f"scorer {run.scorer.name} returned too few results")
            result = finite_or_flagged(result)
        if result.reason == MALFORMED:
            _malformed(record, result.detail, opts)
        else:
            try:
                writer.write(record, result)
                summary.records_out += 1
            except MalformedLine as exc:
                _malformed(record, str(exc), opts)
                result = delta.Result(record.variant, MALFORMED, detail=str(exc))
        summary.add(result)
        v = record.variant
        # One warning per unscored record (per ALT where ALTs were the reason); records outside
        # every gene are ordinary and only counted.
        if result.reason not in (None, delta.NO_GENE, delta.NO_SCORABLE_ALT):
            log.warning("%s: not scored: %s", v.label(), result.detail or result.reason)
        for alt, reason in result.alt_skips:
            log.warning("%s: ALT %s not scored: %s", v.label(), alt, reason)
        if rejects:
            rejects.write(record, result)


def _malformed(record, detail, opts):
    if not opts.skip_malformed:
        raise InputError(f"line {record.variant.line}: {detail}; fix or remove the line, or pass "
                         f"--skip-malformed to leave such lines out of the output (they are "
                         f"counted and go to --rejects)")


def finite_or_flagged(result):
    """NaN/inf guard: a non-finite model output is never a score; the record passes unscored."""
    if result.reason is None and not all(math.isfinite(v) for e in result.entries
                                         if e.ds is not None for v in e.ds):
        return delta.Result(result.variant, NONFINITE, alt_skips=result.alt_skips)
    return result
