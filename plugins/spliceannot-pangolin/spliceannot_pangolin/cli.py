"""``spliceannot pangolin``: set up Pangolin's weights once (``install-weights``), show where they are."""

from typing import Annotated

import typer

app = typer.Typer(name="pangolin", no_args_is_help=True,
                  help="Pangolin (--model pangolin, INFO/Pangolin): set up its weights once.")


@app.command("install-weights")
def install_weights(
    folder: Annotated[str, typer.Argument(
        help="folder with final.{1,2,3}.{0,2,4,6}.3.v2, or a Pangolin clone holding them in "
             "pangolin/models")],
    copy: Annotated[bool, typer.Option(
        "--copy", help="copy the files to $XDG_DATA_HOME/spliceannot/pangolin first, so the "
                       "folder given can be removed")] = False,
):
    """Check the 12 weight files and record their folder in the user's config file, so that
    --model pangolin finds them in every later shell."""
    from . import weights

    found = weights.install(folder, copy=copy)
    typer.echo(f"pangolin weights: {found} (recorded in {weights.config_path()})")


@app.command("weights")
def show_weights():
    """Where --model pangolin reads its weights from, and whether all 12 files are there."""
    from . import weights

    folder = weights.find_dir()
    weights.files(folder)
    typer.echo(f"{folder}\t12 of 12 weight files")


def register(root: typer.Typer) -> None:
    root.add_typer(app)
