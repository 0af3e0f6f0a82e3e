"""``spliceannot models``: the registered model backends."""

from typing import Annotated

import typer


def models(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show details")] = False,
):
    """List model backends: name, context and description."""
    from .. import registry

    for model in registry.models().values():
        info = model.info()
        typer.echo(f"{info['name']}\tcontext={info['context']}\t{info['description']}")
        if verbose:
            for key, value in info.items():
                if key not in ("name", "context", "description"):
                    typer.echo(f"    {key}: {value}")


def register(app: typer.Typer) -> None:
    app.command("models")(models)
