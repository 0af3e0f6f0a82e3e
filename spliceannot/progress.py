"""A rich progress bar on stderr (records, variants/s or positions/s), silent when stderr is not a terminal."""

import sys


class Progress:
    def __init__(self, label: str = "scoring", enabled=None, unit: str = "variants"):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.label = label
        self.unit = unit
        self._bar = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TextColumn, TimeElapsedColumn)

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                                     TimeElapsedColumn(), console=Console(stderr=True),
                                     transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=None, rate="")
        return self

    def advance(self, n: int, done: int, seconds: float) -> None:
        if self._bar is not None:
            rate = f"{done / seconds:.1f} {self.unit}/s" if seconds > 0 else ""
            self._bar.update(self._task, advance=n, rate=rate)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
