"""``spliceannot plot``: REF/ALT acceptor and donor probabilities around one variant, as PNG/SVG."""

from typing import Annotated, Optional

import typer

from . import parameters, session
from ..errors import UsageError

GROUPS = ("input", "scoring", "engine")
IMAGES = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


# Every spelling spliceannot.io.variant.parse_variant accepts (the fields may be separated by
# ':', '-', spaces or '>'), as SpliceAI-lookup, gnomAD and VEP users type them.
VARIANT_HELP = ("CHROM-POS-REF-ALT (SpliceAI-lookup's), CHROM:POS:REF:ALT or 'CHROM:POS "
                "REF>ALT'; 1-based POS")


def parse_variant(text: str):
    """Any spelling :data:`VARIANT_HELP` names -> Variant."""
    from ..api import parse_variant as parse

    return parse(text, line=1)


def plot(
    variant: Annotated[str, typer.Argument(metavar="VARIANT", help=VARIANT_HELP)],
    output: Annotated[str, typer.Option("-o", "--output", metavar="FILE", help="image: .png, .svg or .pdf", rich_help_panel="Output")] = "variant.png",
    gene: Annotated[Optional[str], typer.Option("--gene", metavar="NAME", help="gene symbol or transcript, when several overlap", rich_help_panel="Input")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="no warnings", rich_help_panel="Output")] = False,
    chosen: dict = None,
):
    """Plot one variant's REF and ALT splice-site probabilities with the four DS/DP marked.

    The tracks are the run's scorer's (the model's own scorer where it names one), and -D is
    the scoring distance, as for score: the figure spans POS-D..POS+D, the window the scores
    are taken from."""
    fmt = IMAGES.get(output.lower()[-4:])
    if fmt is None:
        raise UsageError(f"-o {output}: the image type follows the name: .png, .svg or .pdf")
    session.start(quiet, chosen.get("plugins_dir"))
    from ..io.output import check_writable_path, write_file
    from ..options import Options
    from ..plot import draw
    from ..session import Session, check_paths

    check_writable_path(output, "-o")  # before the model loads
    opts = Options(**{k: v for k, v in chosen.items() if v is not None}, progress=False)
    check_paths(None, [("-o", output)], opts)
    target = parse_variant(variant)
    with Session.open(opts, keep_tracks=True) as run:
        data = run.tracks(target, gene)[0]
        write_file(output, "-o", lambda working: draw(data, working, fmt=fmt))
    print(f"{output}\t{data.score.format()}")


def register(app: typer.Typer) -> None:
    app.command("plot", cls=parameters.Command)(parameters.command(plot, GROUPS))
