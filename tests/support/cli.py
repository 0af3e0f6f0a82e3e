"""What the command-line tests share: reading the one error line a failed run prints, and
running a snippet in a fresh interpreter."""

import subprocess
import sys

from .paths import REPO


def run_python(code: str, env=None) -> subprocess.CompletedProcess:
    """``python -c code`` in a new interpreter at the checkout's root: what a fresh process
    imports, with stdout and stderr as text."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env=env)


def error_line(r) -> str:
    """The single ``spliceannot: error:`` line of a finished process, with no traceback."""
    err = r.stderr.decode() if isinstance(r.stderr, bytes) else r.stderr
    assert "Traceback" not in err, err
    lines = [l for l in err.splitlines() if l.startswith("spliceannot: error:")]
    assert len(lines) == 1, err
    return lines[0]
