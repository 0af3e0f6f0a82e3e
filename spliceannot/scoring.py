"""The scoring pipeline: stream VCF records in chunks through a scorer to a writer, losing none.

Every input record is written, in input order, whatever happened to it; unscored ones pass through
unannotated, each with one warning and a count by reason. Output goes to ``OUT.partial`` and is
renamed to ``OUT`` only when the run completes; after a failure or Ctrl-C the partial file stays
under that name and the error propagates (the CLI exits non-zero).
"""

import logging
import os
import time
from dataclasses import dataclass

from . import __version__, annotation, delta, registry
from .errors import UsageError
from .progress import Progress
from .reference import Reference
from .scorer import ScoringContext
from .summary import Summary
from .vcf import VcfReader

log = logging.getLogger("spliceannot")
PARTIAL_SUFFIX = ".partial"


@dataclass
class Options:
    reference: str
    annotation: str
    distance: int = 50
    mask: bool = False
    model: str = "spliceai"
    scorer: str = "delta"
    format: str = None  # writer name; None infers it from the output name (VCF for stdout)
    chunk_size: int = 64
    progress: bool = None  # None: only when stderr is a terminal


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
    return registry.models().get(name)


def score_file(input_path: str, output_path: str, opts: Options) -> Summary:
    """Score ``input_path`` into ``output_path`` ('-' for stdin/stdout); returns the run summary."""
    if opts.distance < 0:
        raise UsageError(f"-D must be >= 0, got {opts.distance}")
    writer_cls = pick_writer(opts.format, output_path)
    reference = Reference(opts.reference)
    genes = annotation.load(opts.annotation)
    model = load_model(opts.model)
    scorer = registry.scorers().get(opts.scorer)
    settings = delta.Settings(distance=opts.distance, mask=bool(opts.mask))
    ctx = ScoringContext(reference, genes, model, settings)
    reader = VcfReader(input_path)
    run_info = {"version": __version__, "model": model.name, "annotation": opts.annotation,
                "distance": opts.distance, "mask": int(bool(opts.mask)), "scorer": scorer.name}

    working = output_path if output_path == "-" else output_path + PARTIAL_SUFFIX
    writer = writer_cls(working, reader, dict(run_info, target_name=output_path))
    summary = Summary()
    started = time.perf_counter()
    try:
        with Progress(enabled=opts.progress) as bar:
            chunk = []
            for record in reader:
                chunk.append(record)
                if len(chunk) >= opts.chunk_size:
                    _flush(chunk, scorer, ctx, writer, summary)
                    bar.advance(len(chunk), summary.records_in, time.perf_counter() - started)
                    chunk = []
            if chunk:
                _flush(chunk, scorer, ctx, writer, summary)
                bar.advance(len(chunk), summary.records_in, time.perf_counter() - started)
    finally:
        writer.close()
        reader.close()
        reference.close()
        summary.seconds = time.perf_counter() - started
    if working != output_path:
        os.replace(working, output_path)
    return summary


def _flush(chunk, scorer, ctx, writer, summary):
    plans = scorer.score([r.variant for r in chunk], ctx)
    if len(plans) != len(chunk):
        raise RuntimeError(f"scorer {scorer.name} returned {len(plans)} plans for {len(chunk)} records")
    for record, plan in zip(chunk, plans):
        writer.write(record, plan)
        summary.add(plan)
        summary.records_out += 1
        if plan.reason is not None and plan.reason != delta.NO_GENE:
            log.warning("%s: not scored: %s", record.variant.label(), plan.reason)
        for alt, reason in plan.alt_skips:
            log.warning("%s: ALT %s not scored: %s", record.variant.label(), alt, reason)
