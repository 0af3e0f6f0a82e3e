"""Collect each test file alone, as ``pytest --collect-only -q FILE`` would, and list the failures.

One warm interpreter imports the heavy libraries once, then forks a child per file that runs
pytest's collection on that file only: each child starts with no test module or conftest loaded,
so a file that collects only beside others (a name taken from another directory's conftest,
say) fails here, at the cost of a fork rather than an interpreter start.

    python tests/support/collect_alone.py FILE...   # exit 1 and one line per failing file
"""

import importlib
import os
import sys
import tempfile

WARM = ("numpy", "torch", "cyvcf2", "pysam", "h5py", "typer", "typer.testing", "pluggy",
        "hypothesis", "fastapi", "fastapi.testclient", "pyBigWig", "ray", "spliceannot",
        "spliceannot.cli", "spliceannot.semantics.spliceai", "spliceannot.pipeline", "spliceannot.engine")


def warm_pytest() -> None:
    """Load pytest and its plugins once, on a file outside the tests (so no conftest loads)."""
    import pytest

    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "test_empty.py")
        open(empty, "w").close()
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(devnull, 1)
        try:
            pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", tmp,
                         "-c", os.devnull, empty])
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


def start(path: str):
    """Fork a child that collects ``path`` alone; returns (pid, its output file)."""
    import pytest

    out = tempfile.TemporaryFile("w+")
    pid = os.fork()
    if pid == 0:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            code = int(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", path]))
        except BaseException:
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return pid, out


def main(paths) -> int:
    for name in WARM:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # an optional library: the file that needs it skips or fails on its own
    warm_pytest()
    assert "conftest" not in sys.modules and "support" not in sys.modules
    failed, running, todo = 0, {}, list(paths)
    while todo or running:
        while todo and len(running) < (os.cpu_count() or 1):  # one child per core
            path = todo.pop(0)
            pid, out = start(path)
            running[pid] = (path, out)
        pid, status = os.wait()
        path, out = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        if code not in (0, 5):  # 5: nothing collected (every test skipped at import)
            failed += 1
            last = [line for line in out.read().splitlines() if line.strip()][-3:]
            print(f"{path}: collect-only exit {code}: {' | '.join(last)}")
        out.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
