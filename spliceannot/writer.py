"""The output-writer contract. One instance per run; ``write`` is called once per input record."""

from abc import ABC, abstractmethod


class Writer(ABC):
    """A plugin contract. ``suffixes`` are the file-name endings that select this writer."""

    name: str = ""
    description: str = ""
    suffixes: tuple = ()

    def __init__(self, path: str, reader, run_info: dict):
        """``path`` is where to write ('-' is stdout); ``reader`` the input VcfReader (for its
        header); ``run_info`` the settings to record (tool version, model, annotation, D, mask)."""
        self.path = path
        self.reader = reader
        self.run_info = run_info

    @abstractmethod
    def write(self, record, plan) -> None:
        """Write one input record (a ``vcf.Record``) with its :class:`~spliceannot.delta.Plan`."""

    def close(self) -> None:
        """Flush and finish the output; called once, when every record has been written."""

    def abort(self) -> None:
        """Close after a failure: keep what was written, finish nothing (default: ``close``)."""
        self.close()


class TextWriter(Writer):
    """A writer of plain text lines: '-' is stdout, a target name ending in .gz is gzip."""

    def __init__(self, path: str, reader, run_info: dict):
        super().__init__(path, reader, run_info)
        from .output import ByteSink, TextSink

        # Every write error becomes one OutputError; a .gz target is BGZF (gzip readers read it).
        compress = path != "-" and run_info.get("target_name", path).endswith(".gz")
        self._handle = TextSink(ByteSink(path), compress=compress)

    def close(self) -> None:
        self._handle.close()
