"""Precomputed SpliceAI scores: bgzip + tabix VCFs in SpliceAI's INFO layout, queried with pysam.

Illumina's published ``spliceai_scores.*.vcf.gz`` files and spliceannot's own VCF or ``vep``
exports all qualify. A lookup answers, for one variant, every ``(ALT, SYMBOL)`` entry the files
hold at exactly that POS and REF; the first file that has an entry wins.
"""

import os

from .contig import ContigMap
from .delta import INFO_ID, DeltaScore
from .errors import InputError, UsageError


def parse_entry(text: str):
    """``ALLELE|SYMBOL|DS x4|DP x4`` -> DeltaScore (``.`` fields give an unscored entry)."""
    fields = text.split("|")
    if len(fields) != 10:
        return None
    alt, gene = fields[0], fields[1]
    if "." in fields[2:]:
        return DeltaScore(alt, gene)
    try:
        return DeltaScore(alt, gene, tuple(float(v) for v in fields[2:6]),
                          tuple(int(v) for v in fields[6:]))
    except ValueError:
        return None


class ScoreFile:
    """One indexed SpliceAI-format VCF."""

    def __init__(self, path):
        import pysam

        self.path = str(path)
        if not os.path.exists(self.path):
            raise InputError(f"precomputed scores {self.path}: no such file")
        try:
            self._tbx = pysam.TabixFile(self.path)
        except (OSError, ValueError) as exc:
            raise InputError(f"precomputed scores {self.path}: needs bgzip compression and a "
                             f"tabix index ({exc}); 'tabix -p vcf {self.path}'") from None
        self.contigs = ContigMap(self._tbx.contigs)
        self.meta = {}
        for line in self._tbx.header:
            if line.startswith("##spliceannot_") and "=" in line:
                key, value = line[len("##spliceannot_"):].split("=", 1)
                self.meta[key] = value

    def check(self, distance: int, mask: bool) -> None:
        """Refuse a file whose own header says it was made with other -D/-M settings."""
        for key, want in (("distance", str(distance)), ("mask", str(int(mask)))):
            have = self.meta.get(key)
            if have is not None and have != want:
                raise UsageError(f"precomputed scores {self.path} were made with {key}={have}, "
                                 f"this run uses {want}")

    def lookup(self, chrom: str, pos: int, ref: str) -> dict:
        contig = self.contigs.resolve(chrom)
        found = {}
        if contig is None:
            return found
        for line in self._tbx.fetch(contig, pos - 1, pos):
            fields = line.split("\t", 8)
            if len(fields) < 8 or int(fields[1]) != pos or fields[3].upper() != ref.upper():
                continue
            for item in fields[7].split(";"):
                if not item.startswith(INFO_ID + "="):
                    continue
                for text in item[len(INFO_ID) + 1:].split(","):
                    entry = parse_entry(text)
                    if entry is not None:
                        found.setdefault((entry.alt.upper(), entry.gene), entry)
        return found

    def close(self):
        self._tbx.close()


class ScoreFiles:
    """Several files, asked in order."""

    def __init__(self, paths):
        self.files = [ScoreFile(p) for p in paths]

    def check(self, distance, mask):
        for f in self.files:
            f.check(distance, mask)

    def lookup(self, chrom, pos, ref) -> dict:
        found = {}
        for f in self.files:
            for key, entry in f.lookup(chrom, pos, ref).items():
                found.setdefault(key, entry)
        return found

    def close(self):
        for f in self.files:
            f.close()
