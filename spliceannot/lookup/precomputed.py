"""Precomputed SpliceAI scores: bgzip + tabix VCFs in SpliceAI's INFO layout, read as a streaming join.

Illumina's published ``spliceai_scores.*.vcf.gz`` files and spliceannot's own VCF or ``vep``
exports all qualify. A lookup answers, for one variant, every ``(ALT, SYMBOL)`` entry the files
hold at exactly that POS and REF; the first file that has an entry wins.

A chunk of records is answered together (:meth:`ScoreFiles.lookup_many`). Each file is read
forward in step with the input, as bcftools' synced reader and vcfanno do: one open tabix
iterator per file, advanced past the lines between two records and re-positioned through the
index only across a gap that would cost more to read than a seek (a tabix seek starts at the
16 kb linear-index window and skips in C up to it, several milliseconds in a dense file). Input
that goes backwards (unsorted) is still answered right, by seeking again; it is said once.
"""

import logging
import os

from ..io.contig import ContigMap
from ..io.vcf_header import decode_name
from ..semantics.spliceai import INFO_ID, DeltaScore
from ..errors import InputError

log = logging.getLogger("spliceannot")
# A re-seek costs about as much as reading this many lines forward in Python (measured: ~8 ms per
# tabix seek in a file with 3 SNV lines per base, ~0.6 us per line read).
SEEK_LINES = 12000


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
        """``{(ALT upper, SYMBOL): DeltaScore}`` of the entries at exactly ``pos`` and ``ref``."""
        return self.lookup_many([(chrom, pos, ref)])[0]

    def lookup_many(self, queries: list) -> list:
        """One ``lookup`` dict per ``(chrom, pos, ref)`` or ``(chrom, pos, ref, alts)`` query
        (``alts``: the upper-case ALLELEs wanted, the others' entries are left unparsed), the
        file read forward once for the lot (in position order per contig, whatever order the
        queries come in)."""
        by_contig = {}
        for i, query in enumerate(queries):
            contig = self.contigs.resolve(query[0])
            if contig is not None:
                by_contig.setdefault(contig, []).append((query[1], i))
        found = [{} for _ in queries]
        for contig, wanted in by_contig.items():
            wanted.sort()
            at = 0
            for pos, lines in self._stream.lines_at(contig, sorted({p for p, _ in wanted})):
                while wanted[at][0] < pos:
                    at += 1
                if not lines:
                    continue
                for p, i in wanted[at:]:
                    if p != pos:
                        break
                    query = queries[i]
                    _entries(lines, query[2], found[i], query[3] if len(query) > 3 else None)
        return found

    @property
    def _stream(self):
        stream = getattr(self, "_forward", None)
        if stream is None:
            stream = self._forward = ForwardReader(self._tbx, self.path, self._foreign,
                                                   self._pysam)
        return stream

    def close(self):
        self._tbx.close()


def _entries(lines, ref, found, alts=None):
    """The entries of ``lines`` (all at one POS) for REF ``ref`` into ``found``; with ``alts``
    (upper-case ALLELE values) only theirs are parsed."""
    ref = ref.upper()
    for line in lines:
        fields = line.split("\t", 8)
        if len(fields) < 8 or fields[3].upper() != ref:
            continue
        for item in fields[7].split(";"):
            if not item.startswith(INFO_ID + "="):
                continue
            for text in item[len(INFO_ID) + 1:].split(","):
                if alts is not None and text[:text.find("|")].upper() not in alts:
                    continue
                entry = parse_entry(text)
                if entry is not None:
                    found.setdefault((entry.alt.upper(), entry.gene), entry)


class ForwardReader:
    """One tabix iterator over a file, moved forward to each asked position in turn.

    ``done`` is the last position asked on ``contig``: every line at or before it has been read,
    so a later ask at a smaller position (unsorted input) seeks again. ``head`` is the first line
    not yet read (with its position). Memory holds one line and the lines of one position."""

    def __init__(self, tbx, path, foreign=None, pysam=None):
        # foreign(): the error for lines that are not where the index said (an index made for
        # another file); pysam: to keep htslib's own messages from repeating ours.
        self._tbx, self.path, self._foreign_error, self._pysam = tbx, path, foreign, pysam
        self.contig, self._it, self.head, self.head_pos = None, None, None, 0
        self.done, self._last = 0, ()
        self.seeks = self.lines = 0
        self._bp = 0  # bases advanced while reading forward, for the lines-per-base estimate
        self._warned = False
        self._left = set()  # contigs read and then left

    def _seek(self, contig, pos):
        if contig != self.contig:
            if self.contig is not None:
                self._left.add(self.contig)
            if contig in self._left:
                self._unsorted(f"{contig} comes back after another contig")
        elif self._it is not None and pos <= self.done:
            self._unsorted(f"{contig}:{pos} comes after {contig}:{self.done}")
        self.seeks += 1
        self.contig, self.done, self._last = contig, 0, ()
        verbosity = self._pysam.set_verbosity(0) if self._pysam else None
        try:
            self._it = self._tbx.fetch(contig, max(pos - 1, 0))
        except ValueError:  # a contig the index has no lines for
            self._it = iter(())
        except OSError:
            raise self._foreign() from None
        finally:
            if self._pysam:
                self._pysam.set_verbosity(verbosity)
        self._next()

    def _foreign(self):
        if self._foreign_error is None:
            return InputError(f"precomputed scores {self.path}: cannot read it; re-index it")
        return self._foreign_error()

    def _unsorted(self, why):
        if not self._warned:
            self._warned = True
            log.warning("precomputed scores %s: the input is not sorted (%s); lookups seek in "
                        "the file where it goes back, which is slower (sort it, e.g. "
                        "'bcftools sort', for a streaming join)", self.path, why)

    def _next(self):
        try:
            for line in self._it:
                tab = line.find("\t") + 1
                if line[:tab - 1] != self.contig:  # the index pointed at another contig's lines
                    raise self._foreign()
                try:
                    self.head, self.head_pos = line, int(line[tab:line.find("\t", tab)])
                except ValueError:
                    continue  # not a record line
                self.lines += 1
                return
        except OSError:  # htslib cannot inflate where a foreign index points
            raise self._foreign() from None
        self.head, self.head_pos = None, 0

    def _density(self) -> float:
        return max(self.lines / self._bp, 0.01) if self._bp > 1000 else 3.0

    def lines_at(self, contig, positions):
        """(position, its lines) for each of ``positions`` (ascending) on ``contig``."""
        for pos in positions:
            if contig == self.contig and pos == self.done and self._it is not None:
                yield pos, self._last  # asked again (records of one position in two chunks)
                continue
            if contig != self.contig or self._it is None or pos <= self.done or (
                    self.head is not None
                    and (pos - self.head_pos) * self._density() > SEEK_LINES):
                self._seek(contig, pos)
            before = self.head_pos
            while self.head is not None and self.head_pos < pos:
                self._next()
            lines = []
            while self.head is not None and self.head_pos == pos:
                lines.append(self.head)
                self._next()
            if self.head is not None and before:
                self._bp += self.head_pos - before
            self.done, self._last = pos, lines
            yield pos, lines


class ScoreFiles:
    """Several files, asked in order."""

    def __init__(self, paths):
        self.files = []
        try:
            for p in paths:
                self.files.append(ScoreFile(p))
        except BaseException:
            self.close()
            raise

    def lookup(self, chrom, pos, ref) -> dict:
        return self.lookup_many([(chrom, pos, ref)])[0]

    def lookup_many(self, queries: list) -> list:
        """One dict per query; an entry of an earlier file wins over a later file's."""
        found = [{} for _ in queries]
        for f in self.files:
            for mine, theirs in zip(found, f.lookup_many(queries)):
                for key, entry in theirs.items():
                    mine.setdefault(key, entry)
        return found

    def counts(self) -> dict:
        """Seeks and lines read per file, for the run summary."""
        out = {"precomputed seeks": 0, "precomputed lines read": 0}
        for f in self.files:
            stream = getattr(f, "_forward", None)
            if stream is not None:
                out["precomputed seeks"] += stream.seeks
                out["precomputed lines read"] += stream.lines
        return out

    def close(self):
        for f in self.files:
            f.close()
