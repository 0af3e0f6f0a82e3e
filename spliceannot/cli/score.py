"""``spliceannot score``: annotate a VCF with delta scores (SpliceAI's -I -O -R -A -D -M flags work)."""

import json
import sys
from typing import Annotated, Optional

import typer

from . import session

from ..errors import OutputError, UsageError


def score(
    input_path: Annotated[Optional[str], typer.Argument(metavar="IN", help="input VCF/BCF ('-' for stdin)")] = None,
    input_opt: Annotated[Optional[str], typer.Option("-I", "--input", help="input VCF, as SpliceAI's -I")] = None,
    output: Annotated[str, typer.Option("-o", "-O", "--output", help="output file ('-' for stdout); the type follows the name: .vcf, .vcf.gz (BGZF), .bcf, .tsv")] = "-",
    reference: Annotated[str, typer.Option("-R", "--reference", help="reference FASTA (plain or bgzip, indexed)")] = ...,
    annotation: Annotated[str, typer.Option("-A", "--annotation", help="gene annotation: grch37, grch38 or a table path")] = ...,
    distance: Annotated[Optional[int], typer.Option("-D", "--distance", help="maximum distance between the variant and gained/lost splice site [default: 50; lookup profile: 500]")] = None,
    mask: Annotated[Optional[int], typer.Option("-M", "--mask", min=0, max=1, help="1: mask scores of annotated-site gains and unannotated-site losses [default: 0]")] = None,
    profile: Annotated[Optional[str], typer.Option("--profile", help="a bundle of options: 'lookup' = SpliceAI-lookup's numbers (-D 500, --per-transcript --trim-alleles --pad-ends --raw, its delins rule); -D and -M still apply")] = None,
    transcripts: Annotated[Optional[str], typer.Option("--transcripts", help="GTF/GFF3 annotation: canonical (default), mane, all or locus")] = None,
    precomputed: Annotated[Optional[list[str]], typer.Option("--precomputed", help="bgzip+tabix SpliceAI VCF whose scores are used where it has every entry of a record (repeatable)")] = None,
    precomputed_trust: Annotated[bool, typer.Option("--precomputed-trust", help="take --precomputed files without spliceannot's header at this run's -D, -M and model (by default only at -D 50 -M 0 with spliceai; -M 1 for Illumina's *.masked.* files)")] = False,
    per_transcript: Annotated[bool, typer.Option("--per-transcript", help="one entry per transcript, named SYMBOL/TRANSCRIPT (GTF input: every transcript)")] = False,
    mask_mode: Annotated[str, typer.Option("--mask-mode", help="with -M 1: nearest (1.3.1) or positionwise (mask each position before the maximum)")] = "nearest",
    pad_ends: Annotated[bool, typer.Option("--pad-ends", help="N-pad windows past contig ends instead of skipping the record")] = False,
    trim_alleles: Annotated[bool, typer.Option("--trim-alleles", help="trim bases REF and ALT share and score MNVs/delins (1.3.1 leaves them '.')")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="append REF and ALT probabilities at each DP to every entry")] = False,
    score_cache: Annotated[Optional[str], typer.Option("--score-cache", help="directory of a persistent cache of computed scores (keyed by model, annotation, genome, D, mask)")] = None,
    model: Annotated[str, typer.Option("--model", help="model backend name (see 'spliceannot models')")] = "spliceai",
    scorer: Annotated[str, typer.Option("--scorer", help="scorer plugin: fast (default) or delta (per-window reference path)")] = "fast",
    fmt: Annotated[Optional[str], typer.Option("--format", help="writer: vcf, tsv, ... (default: from the output name)")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="records scored together")] = 64,
    device: Annotated[str, typer.Option("--device", help="engine device: cpu, cuda or auto")] = "cpu",
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, help="CPU threads for torch (default: torch's)")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="ALT windows per engine batch")] = 16,
    precision: Annotated[str, typer.Option("--precision", help="fp32 (exact, default), tf32, bf16 or fp16")] = "fp32",
    plugins_dir: Annotated[Optional[str], typer.Option("--plugins-dir", help="also load plugins from this directory")] = None,
    summary_json: Annotated[Optional[str], typer.Option("--summary-json", help="write the run summary as JSON here")] = None,
    rejects: Annotated[Optional[str], typer.Option("--rejects", help="write every unscored record and ALT, with its reason, to this TSV")] = None,
    skip_malformed: Annotated[bool, typer.Option("--skip-malformed", help="leave lines the VCF parser cannot read out of the output (counted, sent to --rejects) instead of stopping")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="continue an interrupted run from OUT.partial")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no per-record warnings, no progress")] = False,
    engine: Annotated[str, typer.Option("--engine", help="local (default) or ray: region shards scored on Ray workers, merged in input order")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="with --engine ray: the Ray cluster address (default: start a local Ray instance)")] = None,
    shards: Annotated[int, typer.Option("--shards", min=1, help="with --engine ray: region shards the input is split into")] = 4,
    workers: Annotated[int, typer.Option("--workers", min=1, help="with --engine ray and no --address: CPUs of the local Ray instance")] = 2,
):
    """Annotate each record of a VCF with SpliceAI delta scores (INFO/SpliceAI)."""
    if device not in ("cpu", "cuda", "auto"):
        raise UsageError(f"--device must be cpu, cuda or auto, got {device!r}")
    if precision not in ("fp32", "tf32", "bf16", "fp16"):
        raise UsageError(f"--precision must be fp32, tf32, bf16 or fp16, got {precision!r}")
    if engine not in ("local", "ray"):
        raise UsageError(f"--engine must be local or ray, got {engine!r}")
    if engine == "local" and address:
        raise UsageError("--address needs --engine ray")
    if input_path and input_opt and input_path != input_opt:
        raise UsageError("give the input VCF once: as IN or as -I, not both")
    source = input_opt or input_path
    if not source:
        raise UsageError("no input VCF: give IN (or -I); '-' reads stdin")
    if summary_json:  # checked before the run, like every output name
        from ..io.output import check_writable_path

        check_writable_path(summary_json, "--summary-json")
    session.start(quiet, plugins_dir)
    from ..profiles import expand
    from ..pipeline import Options, check_paths, score_file

    chosen = expand(profile, {"distance": distance, "mask": None if mask is None else bool(mask),
                              "per_transcript": per_transcript or None,
                              "trim_alleles": trim_alleles or None, "pad_ends": pad_ends or None,
                              "raw": raw or None})
    distance, mask = chosen.get("distance", 50), chosen.get("mask", False)
    per_transcript, trim_alleles = chosen.get("per_transcript", False), chosen.get("trim_alleles", False)
    pad_ends, raw = chosen.get("pad_ends", False), chosen.get("raw", False)
    opts = Options(reference=reference, annotation=annotation, distance=distance, mask=bool(mask),
                   delins_rule=chosen.get("delins_rule", "pair"), model=model, scorer=scorer,
                   format=fmt, chunk_size=chunk_size,
                   transcripts=transcripts, precomputed=tuple(precomputed or ()),
                   precomputed_trust=precomputed_trust,
                   device=device, threads=threads, batch_size=batch_size, precision=precision,
                   per_transcript=per_transcript, mask_mode=mask_mode, pad_ends=pad_ends,
                   trim_alleles=trim_alleles, raw=raw, score_cache=score_cache,
                   rejects=rejects, skip_malformed=skip_malformed, resume=resume,
                   progress=False if quiet else None)
    check_paths(source, output, opts, [("--summary-json", summary_json)] if summary_json else [])
    if engine == "ray":
        from ..scale.distributed import score_distributed

        summary = score_distributed(source, output, opts, shards=shards, address=address,
                                    plugins_dirs=[plugins_dir] if plugins_dir else [],
                                    workers=workers)
    else:
        summary = score_file(source, output, opts)
    if summary_json:
        try:
            with open(summary_json, "w") as handle:
                json.dump(summary.to_dict(), handle, indent=2)
        except OSError as exc:
            raise OutputError(f"--summary-json {summary_json}: cannot write it ({exc.strerror})") from None
    if not quiet:
        for line in summary.lines():
            print(f"spliceannot: {line}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("score")(score)
