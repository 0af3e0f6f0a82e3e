"""``python -m spliceannot`` and the ``spliceannot`` command: the process around the CLI.

Ctrl-C at any moment, imports and model loading included, ends the process with exit 130 and
one line, never a traceback. Once the first Ctrl-C is being handled (the pipeline keeps its
partial output, the CLI says so), further ones are ignored, as is one arriving while the
interpreter shuts down: both would otherwise interrupt the cleanup with a traceback of their own.

A Ctrl-C whose handler happens to run inside a finalizer (a ``__del__`` or a weakref callback,
as torch and h5py run while loading) would be printed as "Exception ignored" and lost: the run
would go on. Python hands such exceptions to ``sys.unraisablehook``; ours delivers the interrupt
again, from another thread, to wherever the main thread is next, where it can propagate.
"""

import _thread
import signal
import sys
import threading
import time

_seen = []


def _on_sigint(signum, frame):
    if not _seen:
        _seen.append(signum)
        raise KeyboardInterrupt


def _on_unraisable(info, _default=sys.unraisablehook):
    if isinstance(info.exc_value, KeyboardInterrupt) and _seen:
        _seen.clear()
        # From another thread, a moment later: called here, the handler would run inside this hook.
        threading.Thread(target=_redeliver, daemon=True).start()
        return
    _default(info)


def _redeliver():
    time.sleep(0.01)
    _thread.interrupt_main(signal.SIGINT)  # runs _on_sigint in the main thread, where it is next


def install_interrupt_handling() -> None:
    """Route Ctrl-C to one KeyboardInterrupt that no finalizer can swallow."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where SIGINT is ignored
        signal.signal(signal.SIGINT, _on_sigint)
        sys.unraisablehook = _on_unraisable


def _interrupted():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        print("spliceannot: interrupted", file=sys.stderr, flush=True)
    finally:
        sys.exit(130)


def main() -> None:
    install_interrupt_handling()
    try:
        from .cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        _interrupted()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the interpreter's shutdown stays quiet


if __name__ == "__main__":
    main()
