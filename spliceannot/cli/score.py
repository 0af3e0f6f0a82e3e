"""``spliceannot score``: annotate a VCF with delta scores (SpliceAI's -I -O -R -A -D -M flags work)."""

import json
import logging
import sys
from typing import Annotated, Optional

import typer

from ..errors import UsageError


def score(
    input_path: Annotated[Optional[str], typer.Argument(metavar="IN", help="input VCF/BCF ('-' for stdin)")] = None,
    input_opt: Annotated[Optional[str], typer.Option("-I", "--input", help="input VCF, as SpliceAI's -I")] = None,
    output: Annotated[str, typer.Option("-o", "-O", "--output", help="output file ('-' for stdout); the type follows the name: .vcf, .vcf.gz (BGZF), .bcf, .tsv")] = "-",
    reference: Annotated[str, typer.Option("-R", "--reference", help="reference FASTA (plain or bgzip, indexed)")] = ...,
    annotation: Annotated[str, typer.Option("-A", "--annotation", help="gene annotation: grch37, grch38 or a table path")] = ...,
    distance: Annotated[int, typer.Option("-D", "--distance", help="maximum distance between the variant and gained/lost splice site")] = 50,
    mask: Annotated[int, typer.Option("-M", "--mask", min=0, max=1, help="1: mask scores of annotated-site gains and unannotated-site losses")] = 0,
    model: Annotated[str, typer.Option("--model", help="model backend name (see 'spliceannot models')")] = "spliceai",
    scorer: Annotated[str, typer.Option("--scorer", help="scorer plugin")] = "delta",
    fmt: Annotated[Optional[str], typer.Option("--format", help="writer: vcf, tsv, ... (default: from the output name)")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="records scored together")] = 64,
    plugins_dir: Annotated[Optional[str], typer.Option("--plugins-dir", help="also load plugins from this directory")] = None,
    summary_json: Annotated[Optional[str], typer.Option("--summary-json", help="write the run summary as JSON here")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no per-record warnings, no progress")] = False,
):
    """Annotate each record of a VCF with SpliceAI delta scores (INFO/SpliceAI)."""
    if input_path and input_opt and input_path != input_opt:
        raise UsageError("give the input VCF once: as IN or as -I, not both")
    source = input_opt or input_path
    if not source:
        raise UsageError("no input VCF: give IN (or -I); '-' reads stdin")
    logging.basicConfig(stream=sys.stderr, format="spliceannot: warning: %(message)s",
                        level=logging.ERROR if quiet else logging.WARNING)
    if plugins_dir:
        from ..plugins import load_plugins_dir

        load_plugins_dir(plugins_dir)
    from ..scoring import Options, score_file

    opts = Options(reference=reference, annotation=annotation, distance=distance, mask=bool(mask),
                   model=model, scorer=scorer, format=fmt, chunk_size=chunk_size,
                   progress=False if quiet else None)
    summary = score_file(source, output, opts)
    if summary_json:
        with open(summary_json, "w") as handle:
            json.dump(summary.to_dict(), handle, indent=2)
    if not quiet:
        for line in summary.lines():
            print(f"spliceannot: {line}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("score")(score)
