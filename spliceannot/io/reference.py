"""The reference genome: indexed FASTA (plain or bgzip) through pysam, with contig-name matching."""

import os

from .contig import ContigMap
from ..errors import InputError


class Reference:
    def __init__(self, path):
        import pysam

        self.path = str(path)
        if not os.path.exists(self.path):
            raise InputError(f"reference FASTA {self.path}: no such file")
        try:
            # pysam builds a missing .fai (and needs .gzi for bgzip) where the folder is writable.
            self._fasta = pysam.FastaFile(self.path)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"reference FASTA {self.path}: cannot open or index it ({exc}); a compressed "
                f"FASTA must be bgzip-compressed (not gzip) and indexed: 'samtools faidx "
                f"{self.path}'") from None
        self.lengths = dict(zip(self._fasta.references, self._fasta.lengths))
        self.contigs = ContigMap(self._fasta.references)
        self._md5s = {}
        self._identity = None

    def resolve(self, chrom: str):
        return self.contigs.resolve(chrom)

    def length(self, contig: str) -> int:
        return self.lengths[contig]

    def fetch(self, contig: str, start: int, end: int) -> str:
        """Bases at 0-based half-open [start, end) of a contig spelt as this FASTA spells it."""
        return self._fasta.fetch(contig, start, end)

    def md5s(self, contigs=None) -> dict:
        """``{contig: MD5}`` of the bases (``samtools dict`` M5, refget), computed once per file
        and kept beside it by stat (:mod:`spliceannot.io.identity`); None: every contig."""
        wanted = list(self.lengths) if contigs is None else list(contigs)
        missing = [c for c in wanted if c not in self._md5s]
        if missing:
            from . import identity

            self._md5s.update(identity.contig_md5s(self.path, self.fetch, self.lengths, missing))
        return {c: self._md5s[c] for c in wanted}

    def identity(self) -> str:
        """The genome's digest: every contig's name, length and MD5 (what a header records)."""
        if self._identity is None:
            from . import identity

            self._identity = identity.genome_digest(self.lengths, self.md5s())
        return self._identity

    def close(self):
        self._fasta.close()
