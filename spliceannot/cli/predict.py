"""``spliceannot predict``: per-position acceptor/donor probabilities as bigWig, bedGraph, BED or TSV."""

import sys
from typing import Annotated, Optional

import typer

from ..tracks import NAMING_RULE
from . import session

OUTPUT_HELP = ("output file (repeatable); the writer follows the suffix: .bw, .bedgraph, "
               ".bed[.gz] (sites >= --threshold; .gz: bgzip + tabix), .tsv[.gz] or a "
               "plugin's. Naming: " + NAMING_RULE)


def predict(
    region: Annotated[Optional[str], typer.Argument(metavar="[REGION]", help="CHROM:START-END (1-based, inclusive) or CHROM; default: the whole FASTA")] = None,
    output: Annotated[Optional[list[str]], typer.Option("-o", "--output", help=OUTPUT_HELP)] = None,
    reference: Annotated[str, typer.Option("-R", "--reference", help="reference FASTA (indexed)")] = ...,
    annotation: Annotated[Optional[str], typer.Option("-A", "--annotation", help="gene annotation: predict each transcript on its strand, bases outside it read as N (as 'score' does); without it (or 'both-strands'): both strands, unmasked")] = None,
    regions: Annotated[Optional[str], typer.Option("--regions", help="BED file of regions (0-based, half-open)")] = None,
    gene: Annotated[Optional[list[str]], typer.Option("--gene", help="gene symbol or transcript ID (repeatable; needs -A)")] = None,
    transcripts: Annotated[Optional[str], typer.Option("--transcripts", help="GTF/GFF3 transcript policy: canonical, mane, all or locus")] = None,
    model: Annotated[str, typer.Option("--model", help="model backend name or checkpoint path")] = "spliceai",
    threshold: Annotated[float, typer.Option("--threshold", help="BED output: sites with probability >= this")] = 0.5,
    tile: Annotated[int, typer.Option("--tile", min=1, help="output positions per model call (each read with the model's context either side)")] = 20000,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="tiles per model call")] = 4,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, help="CPU threads for torch (default: the CPUs this process may use, at most 4)")] = None,
    plugins_dir: Annotated[Optional[str], typer.Option("--plugins-dir", help="also load plugins from this directory")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar, no summary")] = False,
):
    """Predict splice-site probabilities along a region, a BED of regions, genes or a whole FASTA."""
    session.start(quiet, plugins_dir)
    check_paths(reference, annotation, regions, model, output or [])
    from ..engine import set_threads

    set_threads(threads)
    from ..tracks.outputs import predict_to_files

    counts = predict_to_files(reference, output or [], model, annotation, region, regions,
                              gene or (), transcripts, threshold, tile, batch_size,
                              progress=False if quiet else None)
    if not quiet:
        print(f"spliceannot: {counts['positions']} positions in {counts['regions']} regions",
              file=sys.stderr)


def check_paths(reference, annotation, regions, model, outputs) -> None:
    """No -o may name an input (-R and its index, -A, --regions, --model) or another -o."""
    import os

    from .. import registry
    from ..errors import UsageError
    from ..io.output import check_distinct

    inputs = [("-R", reference), ("-R index", reference + ".fai"), ("-R index", reference + ".gzi")]
    inputs = [(label, p) for label, p in inputs if label == "-R" or os.path.exists(p)]
    for label, path in (("-A", annotation), ("--regions", regions), ("--model", model)):
        if path and os.path.exists(path):
            inputs.append((label, path))
    outs = []
    for path in outputs:
        try:
            kind = registry.track_writer_for(path)
        except UsageError:
            continue  # refused with its own message where the writers are chosen
        extra = [p for p in kind.files(path, "+-") if p != path]
        if path.lower().endswith(".gz"):
            extra += [path + ".tbi"]
        outs.append(("-o", path, extra))
    check_distinct(inputs, outs)


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)
