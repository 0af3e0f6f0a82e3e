"""``python -m spliceannot`` and the ``spliceannot`` command: the process around the CLI.

Ctrl-C at any moment, imports and model loading included, ends the process with exit 130 and
one line, never a traceback. Once the first Ctrl-C is being handled (the pipeline keeps its
partial output, the CLI says so), further ones are ignored, as is one arriving while the
interpreter shuts down: both would otherwise interrupt the cleanup with a traceback of their own.
"""

import signal
import sys

_seen = []


def _on_sigint(signum, frame):
    if not _seen:
        _seen.append(signum)
        raise KeyboardInterrupt


def _interrupted():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        print("spliceannot: interrupted", file=sys.stderr, flush=True)
    finally:
        sys.exit(130)


def main() -> None:
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where SIGINT is ignored
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        from .cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        _interrupted()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the interpreter's shutdown stays quiet


if __name__ == "__main__":
    main()
