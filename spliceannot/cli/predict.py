"""``spliceannot predict``: per-position acceptor/donor probabilities as bigWig, bedGraph, BED or TSV."""

import sys
from typing import Annotated, Optional

import typer

from ..tracks import NAMING_RULE
from . import parameters, session

OUTPUT_HELP = ("output file (repeatable); the writer follows the suffix: .bw, .bedgraph, "
               ".bed[.gz] (sites >= --threshold; .gz: bgzip + tabix), .tsv[.gz] or a "
               "plugin's. Naming: " + NAMING_RULE)


GROUPS = ("input",)


def predict(
    region: Annotated[Optional[str], typer.Argument(metavar="[REGION]", help="CHROM:START-END (1-based, inclusive) or CHROM; default: the whole FASTA")] = None,
    output: Annotated[Optional[list[str]], typer.Option("-o", "--output", metavar="FILE", help=OUTPUT_HELP, rich_help_panel="Output")] = None,
    regions: Annotated[Optional[str], typer.Option("--regions", metavar="BED", help="BED file of regions (0-based, half-open)", rich_help_panel="Input")] = None,
    gene: Annotated[Optional[list[str]], typer.Option("--gene", metavar="NAME", help="gene symbol or transcript ID (repeatable; needs -A)", rich_help_panel="Input")] = None,
    threshold: Annotated[float, typer.Option("--threshold", metavar="P", help="BED output: sites with probability >= this", rich_help_panel="Output")] = 0.5,
    tile: Annotated[int, typer.Option("--tile", min=1, metavar="N", help="output positions per model call", rich_help_panel="Engine")] = 20000,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, metavar="N", help="tiles per model call", rich_help_panel="Engine")] = 4,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, metavar="N", help="CPU threads for torch (default: usable CPUs, at most 4)", rich_help_panel="Engine")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="no progress bar, no summary", rich_help_panel="Output")] = False,
    chosen: dict = None,
):
    """Predict splice-site probabilities along a region, a BED of regions, genes or a whole FASTA.

    With -A each transcript is predicted on its strand with bases outside it read as N (as
    score does); without it (or with both-strands): both strands, unmasked."""
    session.start(quiet, chosen.get("plugins_dir"))
    from ..options import Options

    opts = Options(**{k: v for k, v in chosen.items() if v is not None}, progress=False)
    check_outputs(opts, regions, output or [])
    from ..engine import set_threads

    set_threads(threads)
    from ..tracks.outputs import predict_to_files

    counts = predict_to_files(opts, output or [], region, regions, gene or (), threshold, tile,
                              batch_size, progress=False if quiet else None)
    if not quiet:
        print(f"spliceannot: {counts['positions']} positions in {counts['regions']} regions",
              file=sys.stderr)


def check_outputs(opts, regions, outputs) -> None:
    """No -o (nor a file it writes by the naming rule) may name an input or another -o."""
    import os

    from .. import registry
    from ..errors import UsageError
    from ..io.output import check_distinct
    from ..session import input_paths

    inputs = input_paths(opts)
    if regions and os.path.exists(regions):
        inputs.append(("--regions", regions))
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
    app.command("predict", cls=parameters.Command)(parameters.command(predict, GROUPS, optional=("annotation",)))
