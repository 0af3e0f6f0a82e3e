"""GTF and GFF3 gene models: transcripts read with pyranges, a transcript policy, an on-disk cache.

Reads Ensembl/GENCODE GTF (``gene_id``/``transcript_id``/``gene_name``/``tag`` attributes),
UCSC/RefSeq GTF exports (``gene_id`` often just the accession), Ensembl GFF3
(``ID=transcript:...``, ``Parent=gene:...``) and NCBI/RefSeq GFF3 (``gene=`` symbol,
``transcript_id=``, ``tag=MANE Select``), plain or gzip. Every transcript with at least one exon
becomes a candidate; a policy then picks the genes the scorer sees:

* ``canonical`` (default): one transcript per gene: MANE Select tag > Ensembl canonical tag >
  longest CDS > longest spliced transcript > lowest transcript ID.
* ``mane``: only MANE Select transcripts.
* ``all``: every transcript.
* ``locus``: one transcript per (contig, strand, extent), the one with most exons, ties lowest
  ID -- the recipe of ``tests/golden/gtf_to_table.py`` and the right choice for UCSC-style GTFs
  whose ``gene_id`` is only the transcript accession.

Parsed transcripts (before the policy) are cached as JSON under ``$SPLICEANNOT_CACHE_DIR``
(default ``~/.cache/spliceannot``), keyed by a digest of the file's content (itself kept by the
file's stat, :mod:`spliceannot.io.identity`), so a whole-genome GENCODE GTF is parsed once.

A feature line whose start is past its end, or whose start or end is not a number, stops the
read with its line number. A transcript without a strand (``.`` or ``?``: GFF's unknown) cannot
be oriented, so it is left out with one warning naming its first such line; 1.3.1's tables have
no such rows, and guessing ``+`` would score the wrong strand.
"""

import json
import logging
import os
import pathlib
import re
from dataclasses import asdict, dataclass, field

from . import Gene, GeneTable
from ..errors import InputError, UsageError
from ..io.files import open_text

POLICIES = ("canonical", "mane", "all", "locus")
CACHE_ENV = "SPLICEANNOT_CACHE_DIR"
CACHE_VERSION = 3  # bump when Transcript or the parsing rules change
SUFFIXES = (".gtf", ".gtf.gz", ".gff", ".gff.gz", ".gff3", ".gff3.gz")
MANE_SELECT = "mane_select"
ENSEMBL_CANONICAL = "ensembl_canonical"
STRANDS = ("+", "-")
FEATURES = ("exon", "CDS", "transcript", "mRNA")  # the lines a transcript is built from
log = logging.getLogger("spliceannot")


@dataclass
class Transcript:
    id: str
    gene_id: str
    symbol: str
    chrom: str
    strand: str
    exons: list = field(default_factory=list)  # sorted [start, end], 1-based inclusive
    cds_length: int = 0
    tags: list = field(default_factory=list)  # normalised: lower case, '_' for spaces
    cds_start: int = 0  # 1-based first CDS base (0: no CDS)
    cds_end: int = 0  # 1-based last CDS base
    biotype: str = ""
    line: int = 0  # first line giving it no strand (0: stranded)

    @property
    def length(self) -> int:
        return sum(e - s + 1 for s, e in self.exons)

    def to_gene(self) -> Gene:
        return Gene(self.symbol or self.gene_id or self.id, self.chrom, self.strand,
                    self.exons[0][0], max(e for _, e in self.exons),
                    [s for s, _ in self.exons], [e for _, e in self.exons], transcript=self.id,
                    gene_id=self.gene_id, tags=tuple(self.tags),
                    cds=(self.cds_start, self.cds_end) if self.cds_length else None,
                    biotype=self.biotype)


def _norm_tags(value) -> set:
    if not isinstance(value, str):
        return set()
    return {t.strip().lower().replace(" ", "_") for t in value.split(",") if t.strip()}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def is_gff3(path) -> bool:
    """GFF3 when it says so in a header line or writes ``key=value`` attributes."""
    with open_text(path) as handle:
        for line in handle:
            if line.startswith("##gff-version"):
                return line.split()[1].startswith("3")
            if line.startswith("#") or not line.strip():
                continue
            attrs = line.rstrip("\n").split("\t")[-1].strip()
            first = attrs.split(";")[0]
            return "=" in first and '"' not in first.split("=")[0]
    return False


def _strip_prefix(value: str) -> str:
    # Ensembl GFF3 writes ID=transcript:ENST..., NCBI writes ID=rna-NM_... / gene-SYMBOL.
    for prefix in ("transcript:", "gene:", "rna-", "gene-"):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def _read_gtf(path) -> list:
    import pyranges

    df = pyranges.read_gtf(str(path), as_df=True, duplicate_attr=True)
    if df.empty or "transcript_id" not in df:
        raise InputError(f"annotation {path}: no transcript_id attributes; is it a GTF?")
    transcripts = {}
    tags, stops = {}, {}
    has = set(df.columns)
    for row in df.itertuples(index=False):
        tid = _text(row.transcript_id)
        if not tid:
            continue
        feature = row.Feature
        if feature not in ("exon", "CDS", "transcript", "stop_codon"):
            continue
        t = transcripts.get(tid)
        if t is None:
            # GENCODE/Ensembl name the symbol gene_name; NCBI's genomic.gtf names it gene.
            symbol = next((_text(getattr(row, k)) for k in ("gene_name", "gene") if k in has
                           and _text(getattr(row, k))), "")
            t = transcripts[tid] = Transcript(
                tid, _text(getattr(row, "gene_id", "")) if "gene_id" in has else "", symbol,
                str(row.Chromosome), str(row.Strand))
            tags[tid] = set()
        if not t.biotype:
            t.biotype = next((_text(getattr(row, k)) for k in ("transcript_type",
                              "transcript_biotype") if k in has and _text(getattr(row, k))), "")
        if "tag" in has:
            tags[tid] |= _norm_tags(row.tag)
        if feature == "exon":
            t.exons.append([int(row.Start) + 1, int(row.End)])
        elif feature == "CDS":
            t.cds_length += int(row.End) - int(row.Start)
            _cds_extent(t, int(row.Start) + 1, int(row.End))
        elif feature == "stop_codon":
            stops.setdefault(tid, []).append((int(row.Start) + 1, int(row.End)))
    for tid, t in transcripts.items():
        t.tags = sorted(tags[tid])
        # GTF's CDS leaves the stop codon out (its own feature); the coding extent the lookup
        # shows (a genePred's cdsStart..cdsEnd) and GFF3's CDS include it.
        for start, end in stops.get(tid, ()) if t.cds_length else ():
            _cds_extent(t, start, end)
    return list(transcripts.values())


def _read_gff3(path) -> list:
    import pyranges

    df = pyranges.read_gff3(str(path), as_df=True)
    has = set(df.columns)

    def col(row, name):
        return _text(getattr(row, name)) if name in has else ""

    rows = list(df.itertuples(index=False))
    by_id = {col(r, "ID"): r for r in rows if col(r, "ID")}
    transcripts = {}
    for row in rows:
        if row.Feature not in ("exon", "CDS"):
            continue
        for parent in col(row, "Parent").split(","):
            if not parent:
                continue
            t = transcripts.get(parent)
            if t is None:
                t = transcripts[parent] = _gff3_transcript(parent, by_id.get(parent), row, col, by_id)
            if row.Feature == "exon":
                t.exons.append([int(row.Start) + 1, int(row.End)])
            else:
                t.cds_length += int(row.End) - int(row.Start)
                _cds_extent(t, int(row.Start) + 1, int(row.End))
    return list(transcripts.values())


def _cds_extent(t: Transcript, start: int, end: int) -> None:
    t.cds_start = start if not t.cds_start else min(t.cds_start, start)
    t.cds_end = max(t.cds_end, end)


def _gff3_transcript(parent_id, tx_row, child_row, col, by_id) -> Transcript:
    source = tx_row if tx_row is not None else child_row
    tid = col(source, "transcript_id") or _strip_prefix(parent_id)
    gene_row = by_id.get(col(tx_row, "Parent").split(",")[0]) if tx_row is not None else None
    gene_id = symbol = ""
    if gene_row is not None:
        gene_id = col(gene_row, "gene_id") or _strip_prefix(col(gene_row, "ID"))
        symbol = col(gene_row, "gene") or col(gene_row, "Name")
    symbol = symbol or col(source, "gene") or col(child_row, "gene")
    tags = _norm_tags(col(source, "tag"))
    if tx_row is not None and col(tx_row, "is_canonical") == "1":  # Ensembl GFF3 < 104
        tags.add(ENSEMBL_CANONICAL)
    return Transcript(tid, gene_id or symbol, symbol, str(source.Chromosome), str(source.Strand),
                      tags=sorted(tags), biotype=col(source, "biotype")
                      or col(source, "transcript_biotype") or col(source, "transcript_type"))


_GTF_TRANSCRIPT = re.compile(r'transcript_id "?([^";]*)')
_GFF3_KEYS = re.compile(r"(?:^|;)\s*(?:ID|Parent|transcript_id)=([^;]*)")


def check_lines(path, gff3: bool) -> dict:
    """Refuse a feature line whose coordinates are no numbers or run backwards (naming its
    line); return ``{transcript key: first line number}`` for lines without a strand."""
    unstranded = {}
    with open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t", 8)
            if len(fields) < 9 or fields[2] not in FEATURES:
                continue
            try:
                start, end = int(fields[3]), int(fields[4])
            except ValueError:
                raise InputError(f"annotation {path} line {number}: start {fields[3]!r} and end "
                                 f"{fields[4]!r} must be whole numbers") from None
            if start > end:
                raise InputError(f"annotation {path} line {number}: {fields[2]} start {start} is "
                                 f"past its end {end}")
            if fields[6] not in STRANDS:
                if gff3:
                    keys = [k for m in _GFF3_KEYS.findall(fields[8]) for k in m.split(",")]
                else:
                    keys = _GTF_TRANSCRIPT.findall(fields[8])[:1]
                for key in keys:
                    unstranded.setdefault(key.strip(), number)
                    unstranded.setdefault(_strip_prefix(key.strip()), number)
    return unstranded


def read_transcripts(path) -> list:
    """Every transcript with exons, in order of first appearance, exons sorted; no cache."""
    import warnings

    path = pathlib.Path(path)
    if not path.exists():
        raise InputError(f"annotation {path}: no such file")
    try:
        with warnings.catch_warnings():  # pyranges 0.1 trips pandas deprecation warnings
            warnings.simplefilter("ignore")
            gff3 = is_gff3(path)
            unstranded = check_lines(path, gff3)
            found = _read_gff3(path) if gff3 else _read_gtf(path)
    except InputError:
        raise
    except Exception as exc:  # pyranges/pandas parse errors: name the file
        raise InputError(f"annotation {path}: cannot parse as GTF/GFF3 ({type(exc).__name__}: "
                         f"{exc})") from None
    out = []
    for t in found:
        if not t.exons:
            continue
        t.exons.sort()
        if t.strand not in STRANDS:
            t.line = unstranded.get(t.id, 0)
        out.append(t)
    if not out:
        raise InputError(f"annotation {path}: no transcript has exon features")
    return out


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get(CACHE_ENV) or pathlib.Path.home() / ".cache" / "spliceannot")


def cache_key(path) -> str:
    """The file's content digest (size and mtime alone miss an edit that keeps both, a copy
    with ``cp -p``), hashed once and then kept by the file's stat, ctime and inode included."""
    from ..io import identity

    return f"v{CACHE_VERSION}-{identity.file_sha256(path)[:32]}"


def cached_transcripts(path) -> list:
    """``read_transcripts`` through the on-disk cache; an unwritable cache only costs time."""
    if not pathlib.Path(path).exists():
        raise InputError(f"annotation {path}: no such file")
    file = cache_dir() / "gtf" / f"{cache_key(path)}.json"
    try:
        with open(file) as handle:
            return [Transcript(**t) for t in json.load(handle)]
    except (OSError, ValueError, TypeError):
        pass
    transcripts = read_transcripts(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "w") as handle:
            json.dump([asdict(t) for t in transcripts], handle, separators=(",", ":"))
        os.replace(tmp, file)
    except OSError:
        pass
    return transcripts


def _canonical_rank(t: Transcript):
    tags = set(t.tags)
    # min() picks the best: MANE Select, then Ensembl canonical, longest CDS, longest mRNA, lowest ID.
    return (MANE_SELECT not in tags, ENSEMBL_CANONICAL not in tags, -t.cds_length, -t.length, t.id)


def select(transcripts: list, policy: str) -> list:
    """The transcripts a policy keeps, in input order."""
    if policy not in POLICIES:
        raise UsageError(f"--transcripts {policy!r}: choose one of {', '.join(POLICIES)}")
    if policy == "all":
        return list(transcripts)
    if policy == "mane":
        return [t for t in transcripts if MANE_SELECT in t.tags]
    groups = {}
    for t in transcripts:
        if policy == "canonical":
            key = (t.chrom, t.gene_id or t.symbol or t.id)
            rank = _canonical_rank(t)
        else:  # locus
            key = (t.chrom, t.strand, t.exons[0][0], max(e for _, e in t.exons))
            rank = (-len(t.exons), t.id)
        best = groups.get(key)
        if best is None or rank < best[0]:
            groups[key] = (rank, t)
    kept = {id(t) for _, t in groups.values()}
    return [t for t in transcripts if id(t) in kept]


def load(path, transcripts: str = "canonical", name: str = "") -> GeneTable:
    """A GeneTable from a GTF/GFF3: the policy's transcripts, ordered by contig (first appearance)
    then start, file order on ties (as SpliceAI's tables are sorted)."""
    found = cached_transcripts(path)
    unstranded = [t for t in found if t.strand not in STRANDS]
    if unstranded:
        first = min(unstranded, key=lambda t: t.line or float("inf"))
        log.warning("annotation %s: %d transcript%s without a strand left out (first: %s, "
                    "strand %r at line %s)", path, len(unstranded),
                    "s" if len(unstranded) > 1 else "", first.id, first.strand,
                    first.line or "?")
        found = [t for t in found if t.strand in STRANDS]
        if not found:
            raise InputError(f"annotation {path}: no transcript has a strand ('+' or '-')")
    chosen = select(found, transcripts or "canonical")
    contigs = {}
    for t in chosen:
        contigs.setdefault(t.chrom, len(contigs))
    chosen.sort(key=lambda t: (contigs[t.chrom], t.exons[0][0]))
    label = name or os.path.basename(str(path))
    return GeneTable([t.to_gene() for t in chosen], name=f"{label}:{transcripts}")


def _gene_id(attrs: str, gff3: bool) -> str:
    import re

    if gff3:
        found = dict(p.split("=", 1) for p in attrs.strip().strip(";").split(";") if "=" in p)
        return found.get("gene_id") or _strip_prefix(found.get("ID", ""))
    match = re.search(r'gene_id "([^"]*)"', attrs)
    return match.group(1) if match else ""


def gene_lines(path) -> list:
    """The file's ``gene`` features as ``[contig, gene_id, start, end, strand]`` (1-based,
    inclusive), in file order; [] when it has none (RefSeq and UCSC GTF exports). Cached beside
    the transcripts, by the same content digest. Gene lines carry a gene's own extent, which a
    filtered file (GENCODE's basic set) can hold wider than the transcripts it kept."""
    if not pathlib.Path(path).exists():
        raise InputError(f"annotation {path}: no such file")
    file = cache_dir() / "gtf" / f"{cache_key(path)}.genes.json"
    try:
        with open(file) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        pass
    gff3 = is_gff3(path)
    found = []
    with open_text(path) as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) >= 9 and f[2] == "gene":
                found.append([f[0], _gene_id(f[8], gff3), int(f[3]), int(f[4]), f[6]])
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "w") as handle:
            json.dump(found, handle, separators=(",", ":"))
        os.replace(tmp, file)
    except OSError:
        pass
    return found
