"""The scoring pipeline: stream VCF records in chunks through a scorer to a writer, losing none.

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

from . import __version__, annotation, delta, provenance, registry
from .errors import InputError, OutputError, SpliceannotError, UsageError
from .output import PARTIAL_SUFFIX
from .output import ByteSink, OutputTarget, TextSink, check_writable_path
from .passthrough import GeneSpans
from .progress import Progress
from .reference import Reference
from .resume import check_settings, completed_records, replay
from .scorer import ScoringContext
from .summary import Summary
from .vcf import MalformedLine, VcfReader

log = logging.getLogger("spliceannot")
MALFORMED = "malformed VCF line"
NONFINITE = "model output not finite"
TELOMERE = "POS 0 (a telomere) cannot be scored"


class Interrupted(SpliceannotError):
    exit_code = 130


@dataclass
class Options:
    reference: str
    annotation: str
    distance: int = 50
    mask: bool = False
    model: str = "spliceai"
    scorer: str = "fast"  # the engine (issue 3); "delta" is the per-window reference path
    format: str = None  # writer name; None infers it from the output name (VCF for stdout)
    chunk_size: int = 64
    progress: bool = None  # None: only when stderr is a terminal
    rejects: str = None  # write unscored records here (TSV)
    skip_malformed: bool = False  # leave lines htslib cannot parse out instead of stopping
    resume: bool = False  # continue OUT.partial of an interrupted run
    # Options beyond 1.3.1 (issue 6); defaults keep 1.3.1's behaviour.
    transcripts: str = None  # GTF/GFF3 transcript policy (canonical, mane, all, locus)
    precomputed: tuple = ()  # bgzip+tabix SpliceAI VCFs consulted before the model
    per_transcript: bool = False
    mask_mode: str = "nearest"
    pad_ends: bool = False
    trim_alleles: bool = False
    raw: bool = False
    score_cache: str = None  # directory of the persistent score cache (None: off)
    # The inference engine (issue 3): used by the ``fast`` scorer; threads apply to any scorer.
    device: str = "cpu"  # cpu, cuda or auto
    threads: int = None  # torch CPU threads; None leaves torch's default
    batch_size: int = 16  # ALT windows per engine batch
    precision: str = "fp32"  # fp32 (exact), tf32, bf16 or fp16


def pick_writer(fmt, output: str):
    writers = registry.writers()
    if fmt:
        return writers.get(fmt)
    if output != "-":
        name = output.lower()
        matches = [(len(s), w) for w in writers.values() for s in w.suffixes if name.endswith(s)]
        if matches:
            return max(matches, key=lambda m: m[0])[1]
    return writers.get("vcf")


def load_model(name: str):
    """A registered model by name; else a path claimed by a backend with ``claims``/``open``
    (the ``checkpoint`` backend opens spliceannot checkpoint and ensemble directories)."""
    models = registry.models()
    if name in models.items or not os.path.exists(name):
        return models.get(name)
    for backend in models.values():
        claims = getattr(backend, "claims", None)
        if callable(claims) and claims(name):
            return backend.open(name)
    raise UsageError(f"--model {name}: no model backend reads this path (a spliceannot "
                     f"checkpoint directory has model.json + model.safetensors)")


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
    if opts.distance < 0:
        raise UsageError(f"-D must be >= 0, got {opts.distance}")
    if opts.resume and output_path == "-":
        raise UsageError("--resume needs an output file, not stdout")
    writer_cls = pick_writer(opts.format, output_path)
    # Every output name is checked before any work: a missing directory is no reason to lose a run.
    target = OutputTarget(output_path)
    if opts.rejects:
        check_writable_path(opts.rejects, "--rejects")
    if opts.score_cache and os.path.exists(opts.score_cache) and not os.path.isdir(opts.score_cache):
        raise UsageError(f"--score-cache {opts.score_cache}: is a file; give a directory (it is "
                         f"created if missing)")
    target.lock()  # before any work: a second run on this output stops here, at once
    try:
        return _score(input_path, target, writer_cls, opts)
    finally:
        target.unlock()


def _score(input_path, target, writer_cls, opts) -> Summary:
    reference = Reference(opts.reference)
    transcripts = opts.transcripts
    if transcripts is None and opts.per_transcript \
            and "transcripts" in annotation.resolve(opts.annotation).options:
        transcripts = "all"  # --per-transcript scores every transcript a GTF holds
    if opts.mask_mode not in ("nearest", "positionwise"):
        raise UsageError(f"--mask-mode {opts.mask_mode!r}: choose nearest or positionwise")
    if opts.mask_mode != "nearest" and not opts.mask:
        raise UsageError("--mask-mode positionwise needs -M 1")
    if opts.device not in (None, "cpu", "auto"):  # checked where it runs: a Ray worker's GPU
        from .engine import resolve_device

        try:
            resolve_device(opts.device)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    genes = annotation.load(opts.annotation, transcripts=transcripts)
    if opts.mask and getattr(genes, "name", "") == "both-strands":
        raise UsageError("-M 1 needs annotated splice sites; -A both-strands has none")
    model = load_model(opts.model)
    scorer = registry.scorers().get(opts.scorer)
    settings = delta.Settings(distance=opts.distance, mask=bool(opts.mask),
                              per_transcript=opts.per_transcript, mask_mode=opts.mask_mode,
                              pad_ends=opts.pad_ends, trim_alleles=opts.trim_alleles,
                              raw=opts.raw)
    if opts.score_cache:  # innermost, so precomputed hits are not copied into the cache
        from .score_cache import cache_key

        key = cache_key(provenance.model_digest(model), provenance.annotation_digest(genes),
                        provenance.reference_digest(reference), settings)
        scorer = registry.scorers().get("cache").wrap(scorer, opts.score_cache, key)
    if opts.precomputed:
        scorer = registry.scorers().get("precomputed").wrap(scorer, list(opts.precomputed))
    ctx = ScoringContext(reference, genes, model, settings, options=opts)
    if opts.threads:
        import torch

        torch.set_num_threads(opts.threads)
    reader = VcfReader(input_path)
    check_contigs(reader, reference, genes)
    run_info = {"version": __version__, "model": model.name,
                "model_hash": provenance.model_digest(model), "annotation": opts.annotation,
                "annotation_hash": provenance.annotation_digest(genes),
                "distance": opts.distance, "mask": int(bool(opts.mask)), "scorer": scorer.name,
                **settings.extras()}
    if transcripts is not None:
        run_info["transcripts"] = transcripts
    if opts.precomputed:
        run_info["precomputed"] = ",".join(opts.precomputed)

    return _run(reader, target, writer_cls, run_info, scorer, ctx, reference, opts)


def _run(reader, target, writer_cls, run_info, scorer, ctx, reference, opts) -> Summary:
    output_path, working = target.path, target.working
    done = []
    if opts.resume and not target.direct and os.path.exists(working):
        done = completed_records(working, writer_cls.name)
        check_settings(working, run_info)
        os.replace(working, working + ".old")
    writer = writer_cls(working, reader, dict(run_info, target_name=output_path))
    rejects = None
    complete = False
    summary = Summary()
    timings_before = scorer.timings()  # a scorer kept from an earlier run counts on
    started = time.perf_counter()
    records = iter(reader)
    # Trimming can move POS into a gene: then every record is planned.
    spans = None if opts.trim_alleles else GeneSpans(ctx.genes, reference)
    try:
        if opts.rejects:
            rejects = TextSink(ByteSink(opts.rejects))
            rejects.write("LINE\tCHROM\tPOS\tID\tREF\tALT\tREASON\n")
        if opts.resume and done:
            records = replay(records, done, writer, summary)
            os.unlink(working + ".old")
            log.info("resumed after %d completed records", summary.records_out)
        with Progress(enabled=opts.progress) as bar:
            chunk = []
            for record in records:
                chunk.append(record)
                if len(chunk) >= opts.chunk_size:
                    _flush(chunk, scorer, ctx, writer, summary, rejects, opts, spans)
                    bar.advance(len(chunk), summary.records_in, time.perf_counter() - started)
                    chunk = []
            if chunk:
                _flush(chunk, scorer, ctx, writer, summary, rejects, opts, spans)
                bar.advance(len(chunk), summary.records_in, time.perf_counter() - started)
        writer.close()
        complete = True
    except KeyboardInterrupt:
        raise Interrupted(_kept("interrupted", working, output_path)) from None
    except SpliceannotError as exc:
        raise type(exc)(_kept(str(exc), working, output_path)) from None
    except OSError as exc:  # a writer that let a raw write error through
        from .output import write_error

        raise OutputError(_kept(str(write_error(exc, output_path)), working, output_path)) from None
    finally:
        if not complete:
            try:
                writer.abort()
            except (SpliceannotError, OSError):
                pass  # the first error is the one to report
        reader.close()
        reference.close()
        if rejects:
            rejects.close()
        summary.seconds = time.perf_counter() - started
        summary.timings = {k: v - timings_before.get(k, 0) for k, v in scorer.timings().items()}
    target.commit()
    return summary


def _kept(message, working, output_path):
    if not working.endswith(PARTIAL_SUFFIX) or not os.path.exists(working):  # written directly
        return message
    return (f"{message}; the records written so far are kept in {working} (rerun the same "
            f"command with --resume to continue)")


def _flush(chunk, scorer, ctx, writer, summary, rejects, opts, spans=None):
    bypass = {}  # records outside every gene skip the scorer (1.3.1 leaves them as they are)
    if spans is not None:
        for i, r in enumerate(chunk):
            if r.malformed is None and r.variant.pos > 0:
                why = spans.reason(r.variant.chrom, r.variant.pos)
                if why is not None:
                    bypass[i] = why
    good = [r for i, r in enumerate(chunk)
            if r.malformed is None and r.variant.pos > 0 and i not in bypass]
    plans = iter(scorer.score([r.variant for r in good], ctx)) if good else iter(())
    for i, record in enumerate(chunk):
        if record.malformed is not None:
            plan = delta.Plan(record.variant, reason=MALFORMED)
            detail = record.malformed
        elif record.variant.pos < 1:
            plan = delta.Plan(record.variant, reason=TELOMERE)
            detail = TELOMERE
        elif i in bypass:  # the short road: no scorer, no checks of scores
            plan = delta.Plan(record.variant, reason=bypass[i])
            writer.write(record, plan)
            summary.records_out += 1
            summary.add(plan)
            if plan.reason is not delta.NO_GENE:
                log.warning("%s: not scored: %s", record.variant.label(), plan.reason)
            if rejects:
                _reject(rejects, record.variant, [plan.reason])
            continue
        else:
            plan = next(plans, None)
            if plan is None:
                raise RuntimeError(f"scorer {scorer.name} returned too few plans")
            detail = plan.reason
            if plan.reason is None and not _finite(plan):
                plan.reason, plan.items, detail = NONFINITE, [], NONFINITE
        if plan.reason == MALFORMED:
            _malformed(record, detail, opts)
        else:
            try:
                writer.write(record, plan)
                summary.records_out += 1
            except MalformedLine as exc:
                _malformed(record, str(exc), opts)
                plan = delta.Plan(record.variant, reason=MALFORMED)
                detail = str(exc)
        summary.add(plan)
        v = record.variant
        # One warning per unscored record (per ALT where ALTs were the reason); records outside
        # every gene are ordinary and only counted.
        if plan.reason not in (None, delta.NO_GENE, delta.NO_SCORABLE_ALT):
            log.warning("%s: not scored: %s", v.label(), detail)
        for alt, reason in plan.alt_skips:
            log.warning("%s: ALT %s not scored: %s", v.label(), alt, reason)
        if rejects and (plan.reason is not None or plan.alt_skips):
            reasons = [detail] if plan.reason not in (None, delta.NO_SCORABLE_ALT) else []
            reasons += [f"ALT {a}: {r}" for a, r in plan.alt_skips]
            _reject(rejects, v, reasons)


def _reject(rejects, v, reasons):
    alts = ",".join(v.alts) or "."
    rejects.write(f"{v.line}\t{v.chrom}\t{v.pos}\t{v.id}\t{v.ref}\t{alts}\t{'; '.join(reasons)}\n")


def _malformed(record, detail, opts):
    if not opts.skip_malformed:
        raise InputError(f"line {record.variant.line}: {detail}; fix or remove the line, or pass "
                         f"--skip-malformed to leave such lines out of the output (they are "
                         f"counted and go to --rejects)")


def _finite(plan) -> bool:
    """NaN/inf guard: a non-finite model output must never be written as a score."""
    return all(math.isfinite(v) for e in plan.entries() if e.ds is not None for v in e.ds)
