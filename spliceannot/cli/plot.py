"""``spliceannot plot``: REF/ALT acceptor and donor probabilities around one variant, as PNG/SVG."""

from typing import Annotated, Optional

import typer

from ..errors import UsageError


# Every spelling spliceannot.io.variant.parse_variant accepts (the fields may be separated by
# ':', '-', spaces or '>'), as SpliceAI-lookup, gnomAD and VEP users type them.
VARIANT_HELP = ("the variant: CHROM-POS-REF-ALT (chr16-12272-C-T, SpliceAI-lookup's), "
                "CHROM:POS:REF:ALT, or 'CHROM:POS REF>ALT' (quoted); 1-based POS; ALTs may be "
                "comma-separated")


def parse_variant(text: str):
    """Any spelling :data:`VARIANT_HELP` names -> Variant."""
    from ..api import parse_variant as parse

    return parse(text, line=1)


def plot(
    variant: Annotated[str, typer.Argument(metavar="VARIANT", help=VARIANT_HELP)],
    output: Annotated[str, typer.Option("-o", "--output", help="image file: .png, .svg or .pdf")] = "variant.png",
    reference: Annotated[str, typer.Option("-R", "--reference", help="reference FASTA (indexed)")] = ...,
    annotation: Annotated[str, typer.Option("-A", "--annotation", help="gene annotation (as for score)")] = ...,
    distance: Annotated[int, typer.Option("-D", "--distance", help="half-width of the plotted window")] = 50,
    mask: Annotated[int, typer.Option("-M", "--mask", min=0, max=1, help="mask as 'score -M 1' does")] = 0,
    model: Annotated[str, typer.Option("--model", help="model backend name")] = "spliceai",
    gene: Annotated[Optional[str], typer.Option("--gene", help="gene symbol or transcript, when several overlap")] = None,
    transcripts: Annotated[Optional[str], typer.Option("--transcripts", help="GTF/GFF3 transcript policy")] = None,
):
    """Plot one variant's REF and ALT splice-site probabilities with the four DS/DP marked."""
    if not output.lower().endswith((".png", ".svg", ".pdf")):
        raise UsageError(f"-o {output}: the image type follows the name: .png, .svg or .pdf")
    from .. import delta, registry
    from ..errors import OutputError
    from ..io.output import check_writable_path
    from ..plot import plot_variant
    from ..io.reference import Reference

    check_writable_path(output, "-o")  # before the model loads
    target = parse_variant(variant)
    ref = Reference(reference)
    genes = registry.load_annotation(annotation, transcripts=transcripts)
    try:
        data = plot_variant(target, ref, genes, registry.model(model),
                            delta.Settings(distance=distance, mask=bool(mask)), output, gene)
    except OSError as exc:
        raise OutputError(f"-o {output}: cannot write it ({exc.strerror or exc})") from None
    print(f"{output}\t{data.score.format()}")


def register(app: typer.Typer) -> None:
    app.command("plot")(plot)
