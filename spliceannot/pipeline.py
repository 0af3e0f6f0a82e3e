"""The scoring pipeline: stream VCF records in chunks through a scorer to a writer, losing none.

The stages, in order: read (:mod:`spliceannot.io.vcf`) -> plan (the scorer's family, SpliceAI's
:mod:`spliceannot.semantics.spliceai` by default, which gives each task its geometry) -> lookups
(:mod:`spliceannot.lookup`) -> model run (the scorer) -> finish -> write (a
:class:`~spliceannot.io.writer.Writer` given plain :class:`~spliceannot.records.Result` s,
rendered as the family's :class:`~spliceannot.records.Output`);
:func:`spliceannot.scorer.score_chunk` runs the middle ones.

Every record the VCF parser can read is written, in input order, whatever happened to it;
unscored ones pass through unannotated, each with one warning, a count by reason and (with
``rejects``) a line in the rejects file. Output (and rejects) go to ``OUT.partial`` and are
renamed to ``OUT`` only when the run completes; after a failure or Ctrl-C the partial file stays
under that name, the error names it, and ``resume`` continues from the last point the run saved
beside it (:mod:`spliceannot.io.resume`), rejects and counts included.
"""

import itertools
import logging
import os
import time

from . import options
from .records import NO_GENE, NO_SCORABLE_ALT, Result
from .errors import InputError, OutputError, SpliceannotError
from .io.output import PARTIAL_SUFFIX, OutputTarget
from .genes.assembly import check_assembly
from .passthrough import GeneSpans, RawLines, sort_lines
from .progress import Progress
from .io.resume import CountsLog, replay, resume_point
from .scorer import score_chunk
from .session import (NONFINITE, Session, check_options, check_paths,  # noqa: F401
                      finite_or_flagged)
from .summary import Summary
from .io.vcf import MalformedLine, VcfReader
from .io.writer import RejectsWriter

log = logging.getLogger("spliceannot")
MALFORMED = "malformed VCF line"
TELOMERE = "POS 0 (a telomere) cannot be scored"
RAW_CHUNK = 65536  # pass-through lines held at most while a chunk of planned records fills


class Interrupted(SpliceannotError):
    exit_code = 130


# The options of a run are declared once, in spliceannot.default_plugins.builtin_options (and by
# plugins through register_options); ``Options(reference=..., annotation=..., distance=500)``.
Options = options.Options


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


def score_file(input_path: str, output_path: str, opts: Options) -> Summary:
    """Score ``input_path`` into ``output_path`` ('-' for stdin/stdout); returns the run summary."""
    check_options(opts, output_path)
    check_paths(input_path, [("-o", output_path)], opts)
    target = OutputTarget(output_path)
    rejects = OutputTarget(opts.rejects, "--rejects") if opts.rejects else None
    target.lock()  # before any work: a second run on this output stops here, at once
    try:
        if rejects:
            rejects.lock()
        with Session.open(opts, output_path) as run:
            return _score(input_path, target, opts, run, rejects)
    finally:
        target.unlock()
        if rejects:
            rejects.unlock()


def _score(input_path, target, opts, run, rejects_target=None) -> Summary:
    scorer = run.scorer
    run.ctx.torch_threads = opts.threads or 0  # set at the first miss (scorer.score_chunk)
    reader = VcfReader(input_path)
    check_contigs(reader, run.reference, run.genes)
    try:
        check_assembly(run.reference, run.genes, reader.contig_lengths)
        point = resume_point(target, run.writer_cls, run.run_info, opts.resume, rejects_target,
                             RejectsWriter.HEADER)
    except SpliceannotError:
        reader.close()
        raise
    output_path, working = target.path, target.working
    done = ()
    if point is not None:
        os.replace(working, working + ".old")
        done = itertools.islice(run.writer_cls.completed(working + ".old"), point.records_out)
    writer = run.writer_cls(working, reader, dict(run.run_info), target=output_path,
                            output=run.output)
    rejects = None
    counts_log = None
    complete = False
    summary = Summary()
    timings_before = run.timings()  # a scorer kept from an earlier run counts on
    started = time.perf_counter()
    # Trimming can move POS into a gene: then every record is planned.
    spans = None if opts.trim_alleles else GeneSpans(run.genes, run.reference)
    # Records outside every gene go through as lines (passthrough.sort_lines) where the writer
    # takes them and no per-record list is kept (rejects, the records a resume replays).
    by_line = spans is not None and spans.enabled and writer.raw_lines and not opts.rejects \
        and point is None
    records = sort_lines(reader, spans, blocks=writer.raw_blocks) if by_line else iter(reader)
    try:
        if rejects_target:
            rejects = RejectsWriter(rejects_target.working, target=rejects_target.path,
                                    append=point is not None)
        if run.writer_cls.resumable and not target.direct:
            counts_log = CountsLog(working, point)
        if point is not None:
            replayed = Summary()
            records = replay(records, done, writer, replayed, point.records_in)
            if replayed.records_out != point.records_out:
                raise InputError("--resume: the partial output holds fewer records than its "
                                 "saved counts; remove it to start over")
            os.unlink(working + ".old")
            summary = Summary.from_counts(point.counts)
            summary.resumed = replayed.records_out
            log.info("resumed after %d completed records", summary.records_out)
        total = None
        if opts.progress is not False:
            from .io.files import count_records

            total = count_records(input_path)
        with Progress("scoring", enabled=opts.progress, total=total) as bar:
            chunk, planned, lines = [], 0, 0  # chunk: Records and RawLines runs, in input order
            broken = []  # the input's error, raised once what was read before it is written
            for record in _until_broken(records, broken):
                chunk.append(record)
                if isinstance(record, RawLines):
                    lines += len(record)
                else:
                    planned += 1
                if planned >= opts.chunk_size or lines >= RAW_CHUNK:
                    before = summary.records_in
                    _flush(chunk, run, writer, summary, rejects, opts, spans)
                    bar.advance(summary.records_in - before, summary.records_in,
                                time.perf_counter() - started)
                    chunk, planned, lines = [], 0, 0
                    if counts_log:
                        counts_log.save(summary, rejects)
            if chunk:
                before = summary.records_in
                _flush(chunk, run, writer, summary, rejects, opts, spans)
                bar.advance(summary.records_in - before, summary.records_in,
                            time.perf_counter() - started)
            if broken:
                raise broken[0]
        writer.close()
        if rejects:
            rejects.close()
            rejects = None
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
            try:
                rejects.close()
            except (SpliceannotError, OSError):
                pass
        if counts_log:
            counts_log.close(remove=complete)
        summary.seconds = time.perf_counter() - started
        summary.timings = {k: v - timings_before.get(k, 0) for k, v in run.timings().items()}
    target.commit()
    if rejects_target:
        rejects_target.commit()
    if opts.write_index:
        from .io.output_type import write_index

        write_index(output_path)
    return summary


def _until_broken(records, broken: list):
    """The records, ending early where the input breaks off (a truncated file): the error goes
    to ``broken`` so that the records read before it are written (and kept) first."""
    try:
        yield from records
    except InputError as exc:
        broken.append(exc)


def _kept(message, working, output_path):
    if not working.endswith(PARTIAL_SUFFIX) or not os.path.exists(working):  # written directly
        return message
    return (f"{message}; the records written so far are kept in {working} (rerun the same "
            f"command with --resume to continue)")


def _flush(chunk, run, writer, summary, rejects, opts, spans=None):
    # Records outside every gene skip planning and the model (1.3.1 leaves them as they are);
    # RawLines runs of them were recognised from their text already and are written as read.
    bypass = {}
    if spans is not None:
        for i, r in enumerate(chunk):
            if not isinstance(r, RawLines) and r.malformed is None and r.variant.pos > 0:
                why = spans.reason(r.variant.chrom, r.variant.pos)
                if why is not None:
                    bypass[i] = why
    good = [r for i, r in enumerate(chunk) if not isinstance(r, RawLines)
            and r.malformed is None and r.variant.pos > 0 and i not in bypass]
    results = iter(score_chunk([r.variant for r in good], run.ctx, run.scorer, run.lookups)
                   if good else ())
    for i, record in enumerate(chunk):
        if isinstance(record, RawLines):
            writer.write_raw(record)
            summary.add_passed(len(record), NO_GENE)
            continue
        if record.malformed is not None:
            result = Result(record.variant, MALFORMED, detail=record.malformed)
        elif record.variant.pos < 1:
            result = Result(record.variant, TELOMERE)
        elif i in bypass:
            result = Result(record.variant, bypass[i])
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
                result = Result(record.variant, MALFORMED, detail=str(exc))
        summary.add(result)
        v = record.variant
        # One warning per unscored record (per ALT where ALTs were the reason); records outside
        # every gene are ordinary and only counted.
        if result.reason not in (None, NO_GENE, NO_SCORABLE_ALT):
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
