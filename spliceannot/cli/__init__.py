"""The ``spliceannot`` command line: thin typer commands over library functions.

Each command lives in its own module; plugins add theirs through ``register_commands(app)``.
Domain errors become one line on stderr and the error's exit code here, and nowhere else.
Nothing heavy (torch, cyvcf2) is imported at module level, so ``--help`` is instant.
"""

import os
import sys
from typing import Annotated

import typer

from ..errors import EXIT_CODES, SpliceannotError
from . import models as models_cmd
from .parameters import command  # noqa: F401  (cli.command(fn, groups=...): a command's options)
from . import plot as plot_cmd
from . import plugins as plugins_cmd
from . import precompute as precompute_cmd
from . import predict as predict_cmd
from . import score as score_cmd
from . import serve as serve_cmd
from . import species as species_cmd
from . import train as train_cmd


def exit_code_epilog() -> str:
    """The exit-code table as ``--help`` prints it (one line per code)."""
    return "Exit codes:\n" + "\n".join(f"{code:>3}  {text}" for code, text in EXIT_CODES.items())


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"spliceannot {__version__}")
        raise typer.Exit()


def _top(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="print the version and exit")] = False,
) -> None:
    """Splice-altering variant annotation with SpliceAI-family models."""


def build_app() -> typer.Typer:
    # Completion as typer offers it (bash, zsh, fish, PowerShell): --install-completion.
    app = typer.Typer(name="spliceannot", no_args_is_help=True, add_completion=True,
                      epilog=exit_code_epilog(),
                      help="Splice-altering variant annotation with SpliceAI-family models.")
    app.callback()(_top)
    species_cmd.register(train_cmd.app)  # train species, train package: under `train`
    for module in (score_cmd, plugins_cmd, models_cmd, train_cmd, plot_cmd, precompute_cmd,
                   predict_cmd, serve_cmd):
        module.register(app)
    from ..plugins import get_plugin_manager

    get_plugin_manager().hook.register_commands(app=app)
    return app


def _plugins_dirs(argv) -> list:
    """The ``--plugins-dir`` values of a command line: loaded before the commands are built, so
    the options their plugins declare are flags of every command (and in its ``--help``)."""
    from .. import options

    flags = options.get("plugins_dir").flags
    args = list(sys.argv[1:] if argv is None else argv)
    found = []
    for i, arg in enumerate(args):
        if arg in flags and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith(tuple(f"{flag}=" for flag in flags if flag.startswith("--"))):
            found.append(arg.split("=", 1)[1])
    return found


def main(argv=None) -> None:
    # OpenMP threads that wait for work sleep rather than spin: on a shared machine spinning
    # threads burned ~3.5x the CPU time of the work (measured with 2 threads on 2 busy cores),
    # and a lone process loses nothing measurable. Read once, when torch loads its OpenMP
    # runtime, so it must be set before the first torch import; a user's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from ..plugins import load_plugins_dir

        for directory in _plugins_dirs(argv):
            load_plugins_dir(directory)
        app = build_app()
        # Out of standalone mode typer returns, not raises, the exit code of a ``typer.Exit`` and
        # of a Ctrl-C (130) caught inside click; dropping it would exit 0 with nothing written.
        code = app(args=argv, standalone_mode=False)
    except SpliceannotError as exc:
        print(f"spliceannot: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("spliceannot: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click's own usage errors
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        if type(exc).__name__ == "Abort":  # click's Abort: end of input at a prompt
            print("spliceannot: aborted", file=sys.stderr)
            sys.exit(1)
        raise
    if isinstance(code, int) and not isinstance(code, bool) and code:
        if code == 130:
            print("spliceannot: interrupted", file=sys.stderr)
        sys.exit(code)
