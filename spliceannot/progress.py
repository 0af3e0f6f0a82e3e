"""Progress of a long run on stderr: a rich bar on a terminal, a plain line every N seconds in logs.

On a terminal the bar shows done/total, the rate and the time left (the total where the caller
could count it cheaply); warnings logged meanwhile print above it. Where stderr is a file or a
pipe (Snakemake, SLURM, nohup) a bar would be noise, and silence for an hour is worse: a line
every ``SPLICEANNOT_PROGRESS_SECONDS`` seconds (default 30) gives records, rate and ETA, as
bcftools' and samtools' ``--verbosity`` lines and Snakemake's own log do. ``score -q`` (or
``enabled=False``) prints nothing. ``score``, ``predict``, ``precompute`` and ``train`` all use
this one class.
"""

import logging
import os
import sys
import time

INTERVAL = 30.0  # seconds between plain lines, unless SPLICEANNOT_PROGRESS_SECONDS says otherwise


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("SPLICEANNOT_PROGRESS_SECONDS", INTERVAL)))
    except ValueError:
        return INTERVAL


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """``with Progress("scoring", total=n) as bar: bar.advance(k)``.

    ``enabled``: False prints nothing; None or True: a bar when stderr is a terminal, else
    plain lines. ``total`` may be None (no percentage, no ETA) or set later (``update``).
    """

    def __init__(self, label: str = "scoring", enabled=None, unit: str = "records",
                 total=None):
        self.enabled = enabled is not False
        self.label, self.unit, self.total = label, unit, total
        self.done = 0
        self.fields = ""
        self._bar = None
        self._lines = False
        self._started = self._last = None

    def __enter__(self):
        self._started = self._last = time.perf_counter()
        if not self.enabled:
            return self
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)

            # Live redirects sys.stderr while the bar is up: a warning written there (the
            # logging handler below looks sys.stderr up at each record) prints above the bar.
            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TextColumn(self.unit),
                                     TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                     TextColumn("ETA"), TimeRemainingColumn(),
                                     console=Console(stderr=True), transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total, rate="")
        else:
            self._lines = True
        return self

    def advance(self, n: int, done=None, seconds=None) -> None:
        """``n`` more units done (``done``/``seconds``: the caller's own totals, if it keeps
        them; by default counted here)."""
        self.done = self.done + (n or 0) if done is None else done
        self._tick()

    def update(self, advance=0, total=None, **fields) -> None:
        """As :meth:`advance`, also changing the total and showing ``key=value`` fields (a
        training loss, say)."""
        if total is not None:
            self.total = total
        if fields:
            self.fields = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in fields.items())
        self.done += advance or 0
        self._tick()

    def _rate(self, now) -> float:
        elapsed = now - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._bar is not None:
            rate = self._rate(now)
            text = f"{rate:,.1f} {self.unit}/s" if rate else ""
            self._bar.update(self._task, completed=self.done, total=self.total,
                             rate=f"{text}  {self.fields}".rstrip())
        elif self._lines and now - self._last >= _interval():
            self._last = now
            print(f"spliceannot: {self.line(now)}", file=sys.stderr, flush=True)

    def line(self, now=None) -> str:
        """The plain progress line: done (of total), rate, elapsed and ETA."""
        now = time.perf_counter() if now is None else now
        rate = self._rate(now)
        text = f"{self.label}: {self.done:,}"
        if self.total:
            text += f" of {self.total:,} {self.unit} ({100 * self.done / self.total:.1f}%)"
        else:
            text += f" {self.unit}"
        text += f", {rate:,.1f} {self.unit}/s, elapsed {_clock(now - self._started)}"
        if self.total and rate > 0 and self.done <= self.total:
            text += f", ETA {_clock((self.total - self.done) / rate)}"
        return text + (f"  {self.fields}" if self.fields else "")

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None
        return False


class StderrHandler(logging.StreamHandler):
    """A logging handler that writes to whatever ``sys.stderr`` is at the time: under a
    progress bar, rich's proxy, which prints the warning above the bar."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ sets it; the lookup above wins
        pass
