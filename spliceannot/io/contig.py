"""Contig-name matching across VCF, FASTA and annotation: ``chr`` prefixes and chrM <-> MT.

SpliceAI 1.3.1 adds or strips ``chr`` against the first name of the other file; we match each
name against the full set of names the other file has, so mixed naming also resolves.
"""


def canonical(name: str) -> str:
    """The spelling-independent key of a contig: no ``chr`` prefix, mitochondrion as ``MT``."""
    core = name[3:] if name.lower().startswith("chr") else name
    if core.upper() in ("M", "MT"):
        return "MT"
    return core


class ContigMap:
    """Resolves names from another file to the names this file uses."""

    def __init__(self, names):
        self.names = list(names)
        self._exact = set(self.names)
        self._by_key = {}
        for n in self.names:
            self._by_key.setdefault(canonical(n), n)

    def resolve(self, name: str):
        """This file's spelling of ``name``, or None when the contig is absent."""
        if name in self._exact:
            return name
        return self._by_key.get(canonical(name))

    def __contains__(self, name) -> bool:
        return self.resolve(name) is not None
