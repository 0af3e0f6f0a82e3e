"""``spliceannot precompute``: every possible variant over genes or regions, into a VEP-ready file."""

import sys
from typing import Annotated, Optional

import typer

from . import session

from ..errors import UsageError


def precompute(
    targets: Annotated[list[str], typer.Argument(metavar="TARGET...", help="gene names, transcript IDs or regions CHROM:START-END (1-based, inclusive)")],
    output: Annotated[str, typer.Option("-o", "--output", help="output NAME.vep.vcf.gz (bgzip + tabix, for --precomputed and VEP's SpliceAI plugin)")] = ...,
    reference: Annotated[str, typer.Option("-R", "--reference", help="reference FASTA (plain or bgzip, indexed)")] = ...,
    annotation: Annotated[str, typer.Option("-A", "--annotation", help="gene annotation: grch37, grch38 or a table/GTF path")] = ...,
    kinds: Annotated[str, typer.Option("--kinds", help="comma-separated: snv (every SNV), ins (1-nt insertions), del (1-4-nt deletions)")] = "snv",
    distance: Annotated[int, typer.Option("-D", "--distance", help="maximum distance between the variant and gained/lost splice site")] = 50,
    mask: Annotated[int, typer.Option("-M", "--mask", min=0, max=1, help="1: mask scores of annotated-site gains and unannotated-site losses")] = 0,
    model: Annotated[str, typer.Option("--model", help="model backend name (see 'spliceannot models')")] = "spliceai",
    plugins_dir: Annotated[Optional[str], typer.Option("--plugins-dir", help="also load plugins from this directory")] = None,
    device: Annotated[str, typer.Option("--device", help="engine device: cpu, cuda or auto")] = "cpu",
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, help="CPU threads for torch (default: the CPUs this process may use, at most 4)")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="ALT windows per engine batch")] = 16,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="records scored together")] = 64,
    engine: Annotated[str, typer.Option("--engine", help="local (default) or ray")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="with --engine ray: the Ray cluster address (default: a local Ray instance)")] = None,
    shards: Annotated[int, typer.Option("--shards", min=1, help="with --engine ray: region shards")] = 4,
    workers: Annotated[int, typer.Option("--workers", min=1, help="with --engine ray and no --address: CPUs of the local Ray instance")] = 2,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no warnings, no progress")] = False,
):
    """Score every possible SNV (and optionally 1-nt insertion, 1-4-nt deletion) over genes or regions."""
    if engine not in ("local", "ray"):
        raise UsageError(f"--engine must be local or ray, got {engine!r}")
    if device not in ("cpu", "cuda", "auto"):
        raise UsageError(f"--device must be cpu, cuda or auto, got {device!r}")
    session.start(quiet, plugins_dir)
    from ..scale.precompute import precompute as run
    from ..pipeline import Options

    opts = Options(reference=reference, annotation=annotation, distance=distance, mask=bool(mask),
                   model=model, chunk_size=chunk_size, device=device, threads=threads,
                   batch_size=batch_size, progress=False if quiet else None)
    summary = run(targets, output, opts, kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()),
                  engine=engine, shards=shards, address=address,
                  plugins_dirs=[plugins_dir] if plugins_dir else [], workers=workers)
    if not quiet:
        for line in summary.lines():
            print(f"spliceannot: {line}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("precompute")(precompute)
