"""``spliceannot plugins``: installed plugins and the hooks each implements."""

import json
from typing import Annotated

import typer


def plugins(
    all_: Annotated[bool, typer.Option("--all", help="include the built-in plugins")] = False,
):
    """List plugins as JSON (name, hooks, version)."""
    from ..plugins import describe_plugins

    typer.echo(json.dumps(describe_plugins(include_builtins=all_), indent=2))


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
