"""``spliceannot models``: the registered model backends."""

from typing import Annotated

import typer


def models(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show details")] = False,
):
    """List model backends: name, context, whether the weights are installed, description."""
    from .. import registry

    for model in registry.models().values():
        info = model.info()
        context = info["context"] or "from file"  # a backend that reads --model PATH
        typer.echo(f"{info['name']}\tcontext={context}\tweights={model.weights()}\t"
                   f"{info['description']}")
        if verbose:
            for key, value in info.items():
                if key not in ("name", "context", "description"):
                    typer.echo(f"    {key}: {value}")


def register(app: typer.Typer) -> None:
    app.command("models")(models)
