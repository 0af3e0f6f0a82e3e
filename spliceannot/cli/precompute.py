"""``spliceannot precompute``: every possible variant over genes or regions, into a VEP-ready file."""

import sys
from typing import Annotated

import typer

from . import parameters, session


GROUPS = ("input", "scoring", "engine", "distributed")


def precompute(
    targets: Annotated[list[str], typer.Argument(metavar="TARGET...", help="gene names, transcript IDs or regions CHROM:START-END (1-based, inclusive)")],
    output: Annotated[str, typer.Option("-o", "--output", metavar="FILE", help="NAME.vep.vcf.gz (bgzip + tabix, for --precomputed and VEP)", rich_help_panel="Output")] = ...,
    kinds: Annotated[str, typer.Option("--kinds", metavar="LIST", help="comma-separated: snv, ins (1 nt), del (1-4 nt)", rich_help_panel="Scoring")] = "snv",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="no warnings, no progress", rich_help_panel="Output")] = False,
    chosen: dict = None,
):
    """Score every possible SNV (and optionally 1-nt insertion, 1-4-nt deletion) over genes or regions."""
    session.start(quiet, chosen.get("plugins_dir"))
    from ..options import Options, check
    from ..scale.precompute import precompute as run
    from ..session import check_paths

    opts = Options(**{k: v for k, v in chosen.items() if v is not None},
                   progress=False if quiet else None)
    check(opts)
    check_paths(None, [("-o", output)], opts)
    summary = run(targets, output, opts,
                  kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()))
    if not quiet:
        for line in summary.lines():
            print(f"spliceannot: {line}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("precompute", cls=parameters.Command)(parameters.command(precompute, GROUPS))
