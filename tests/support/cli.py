"""What the command-line tests share: reading the one error line a failed run prints."""


def error_line(r) -> str:
    """The single ``spliceannot: error:`` line of a finished process, with no traceback."""
    err = r.stderr.decode() if isinstance(r.stderr, bytes) else r.stderr
    assert "Traceback" not in err, err
    lines = [l for l in err.splitlines() if l.startswith("spliceannot: error:")]
    assert len(lines) == 1, err
    return lines[0]
