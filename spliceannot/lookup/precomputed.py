"""Precomputed SpliceAI scores: bgzip + tabix VCFs in SpliceAI's INFO layout, queried with pysam.

Illumina's published ``spliceai_scores.*.vcf.gz`` files and spliceannot's own VCF or ``vep``
exports all qualify. A lookup answers, for one variant, every ``(ALT, SYMBOL)`` entry the files
hold at exactly that POS and REF; the first file that has an entry wins.
"""

import os

from ..io.contig import ContigMap
from ..io.vcf_header import decode_name
from ..semantics.spliceai import INFO_ID, DeltaScore
from ..errors import InputError


def parse_entry(text: str):
    """``ALLELE|SYMBOL|DS x4|DP x4`` (``|RAW x8`` with --raw) -> DeltaScore (``.`` fields give
    an unscored entry)."""
    fields = text.split("|")
    if len(fields) not in (10, 18):
        return None
    alt, gene = fields[0], decode_name(fields[1])  # names are written percent-encoded
    if "." in fields[2:10]:
        return DeltaScore(alt, gene)
    try:
        raw = None
        if len(fields) == 18:
            raw = () if "." in fields[10:] else tuple(float(v) for v in fields[10:])
        return DeltaScore(alt, gene, tuple(float(v) for v in fields[2:6]),
                          tuple(int(v) for v in fields[6:10]), raw)
    except ValueError:
        return None


class ScoreFile:
    """One indexed SpliceAI-format VCF."""

    def __init__(self, path):
        import pysam

        self.path = str(path)
        if not os.path.exists(self.path):
            raise InputError(f"precomputed scores {self.path}: no such file")
        index = next((self.path + ext for ext in (".tbi", ".csi")
                      if os.path.exists(self.path + ext)), None)
        # An index older than its file may describe another file (htslib only warns): lookups
        # would silently miss or read the wrong offsets.
        if index and os.path.getmtime(index) < os.path.getmtime(self.path):
            raise InputError(f"precomputed scores {self.path}: the index {index} is older than "
                             f"the file; re-index it: 'tabix -f -p vcf {self.path}'")
        verbosity = pysam.set_verbosity(0)  # htslib's own lines would repeat ours
        try:
            self._tbx = pysam.TabixFile(self.path)
        except (OSError, ValueError) as exc:
            if index:
                raise InputError(f"precomputed scores {self.path}: cannot read it or its index "
                                 f"{index} (damaged?); re-index it: "
                                 f"'tabix -f -p vcf {self.path}'") from None
            raise InputError(f"precomputed scores {self.path}: needs bgzip compression and a "
                             f"tabix index ({exc}); 'tabix -p vcf {self.path}'") from None
        finally:
            pysam.set_verbosity(verbosity)
        self._pysam = pysam
        self.index = index
        self.contigs = ContigMap(self._tbx.contigs)
        self._probe()
        self.meta = {}
        for line in self._tbx.header:
            if line.startswith("##spliceannot_") and "=" in line:
                key, value = line[len("##spliceannot_"):].split("=", 1)
                self.meta[key] = value

    def _foreign(self) -> InputError:
        return InputError(f"precomputed scores {self.path}: its index {self.index} does not "
                          f"belong to it (made for another file, or the file was replaced); "
                          f"re-index it: 'tabix -f -p vcf {self.path}'")

    def _fetch(self, contig: str, start: int = None, end: int = None):
        """The index's lines for a region, checked to be where the index said: an index made
        for another file points into the middle of blocks (htslib fails) or at other lines."""
        verbosity = self._pysam.set_verbosity(0)  # htslib's own lines would repeat ours
        try:
            lines = list(self._tbx.fetch(contig, start, end))
        except (OSError, ValueError):
            raise self._foreign() from None
        finally:
            self._pysam.set_verbosity(verbosity)
        for line in lines:
            fields = line.split("\t", 2)
            try:
                misplaced = fields[0] != contig or (end is not None and int(fields[1]) > end)
            except (IndexError, ValueError):
                misplaced = True
            if misplaced:
                raise self._foreign()
        return lines

    def _probe(self) -> None:
        """Read each indexed contig's first line: one block each, and where a foreign index
        fails (its first offset lands inside a block, or on another contig's lines)."""
        verbosity = self._pysam.set_verbosity(0)
        try:
            for contig in self._tbx.contigs:
                first = next(iter(self._tbx.fetch(contig)), None)
                if first is not None and first.split("\t", 1)[0] != contig:
                    raise self._foreign()
        except (OSError, ValueError):
            raise self._foreign() from None
        finally:
            self._pysam.set_verbosity(verbosity)

    def lookup(self, chrom: str, pos: int, ref: str) -> dict:
        contig = self.contigs.resolve(chrom)
        found = {}
        if contig is None:
            return found
        for line in self._fetch(contig, pos - 1, pos):
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

    def lookup(self, chrom, pos, ref) -> dict:
        found = {}
        for f in self.files:
            for key, entry in f.lookup(chrom, pos, ref).items():
                found.setdefault(key, entry)
        return found

    def close(self):
        for f in self.files:
            f.close()
