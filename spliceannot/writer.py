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
        """Flush and close; called once, also after a failure."""


class TextWriter(Writer):
    """A writer of plain text lines: '-' is stdout, a target name ending in .gz is gzip."""

    def __init__(self, path: str, reader, run_info: dict):
        super().__init__(path, reader, run_info)
        if path == "-":
            import sys

            self._handle, self._owned = sys.stdout, False
        elif run_info.get("target_name", path).endswith(".gz"):
            import gzip

            self._handle, self._owned = gzip.open(path, "wt"), True
        else:
            self._handle, self._owned = open(path, "w"), True

    def close(self) -> None:
        if self._owned:
            self._handle.close()
        else:
            self._handle.flush()
