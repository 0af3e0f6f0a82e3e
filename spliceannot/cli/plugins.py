"""``spliceannot plugins``: installed plugins and the hooks each implements."""

import json
from typing import Annotated

import typer


def plugins(
    all_: Annotated[bool, typer.Option("--all", help="include the built-in plugins")] = False,
):
    """List installed plugins as JSON (name, hooks, version); --all adds the built-in ones."""
    from ..plugins import describe_plugins

    rows = describe_plugins(include_builtins=all_)
    typer.echo(json.dumps(rows, indent=2))
    if not rows:  # stdout stays JSON for scripts; the person reading gets a sentence
        builtins = len(describe_plugins(include_builtins=True))
        typer.echo(f"spliceannot: no third-party plugins installed; 'spliceannot plugins --all' "
                   f"lists the {builtins} built-in ones", err=True)


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
