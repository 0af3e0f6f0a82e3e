"""Which stretches ``predict`` covers: a REGION, a BED of regions or genes, merged in FASTA order."""

import re

from ..errors import UsageError


def parse_region(text: str, reference):
    """chr:start-end (1-based inclusive, commas allowed) or a bare contig -> (contig, start, end)."""
    m = re.fullmatch(r"(.+?)(?::([\d,]+)-([\d,]+))?", text.strip())
    contig = reference.resolve(m.group(1)) if m else None
    if contig is None:
        raise UsageError(f"region {text!r}: contig not in the FASTA (expected CHROM:START-END)")
    length = reference.length(contig)
    if m.group(2) is None:
        return contig, 1, length
    start, end = m.group(2).replace(",", ""), m.group(3).replace(",", "")
    if not start or not end:  # commas only, such as "chr16:,-,"
        raise UsageError(f"region {text!r}: START and END must be numbers (CHROM:START-END)")
    start, end = int(start), int(end)
    if not 1 <= start <= end:
        raise UsageError(f"region {text!r}: need 1 <= START <= END")
    if start > length:
        raise UsageError(f"region {text!r}: starts past the end of {contig} ({length} bp)")
    return contig, start, min(end, length)


def read_bed_regions(path: str, reference) -> list:
    """0-based half-open BED intervals -> (contig, start, end) 1-based inclusive."""
    regions = []
    try:
        with open(path, "rb") as handle:
            for lineno, raw in enumerate(handle, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise UsageError(f"--regions {path}, line {lineno}: not UTF-8 text (a BED "
                                     f"file is plain text)") from None
                _bed_line(path, lineno, line, reference, regions)
    except OSError as exc:
        raise UsageError(f"--regions {path}: cannot read it ({exc.strerror or exc})") from None
    return regions


def _bed_line(path, lineno, line, reference, regions):
    """One BED line into ``regions`` (1-based inclusive), checked against the FASTA."""
    if not line.strip() or line.startswith(("#", "track", "browser")):
        return
    fields = line.split("\t")
    try:
        chrom, start, end = fields[0], int(fields[1]), int(fields[2])
    except (IndexError, ValueError):
        raise UsageError(f"--regions {path}, line {lineno}: expected CHROM START END") from None
    contig = reference.resolve(chrom)
    if contig is None:
        raise UsageError(f"--regions {path}, line {lineno}: contig {chrom} not in the FASTA")
    if start < 0 or end <= start:
        raise UsageError(f"--regions {path}, line {lineno}: need 0 <= START < END")
    if start >= reference.length(contig):
        raise UsageError(f"--regions {path}, line {lineno}: starts past the end of "
                         f"{contig} ({reference.length(contig)} bp)")
    regions.append((contig, start + 1, min(end, reference.length(contig))))


def merge_regions(regions, reference) -> list:
    """Sorted by FASTA contig order and start, overlapping or touching ones merged."""
    order = {name: i for i, name in enumerate(reference.lengths)}
    out = []
    for contig, start, end in sorted(regions, key=lambda r: (order[r[0]], r[1], r[2])):
        if out and out[-1][0] == contig and start <= out[-1][2] + 1:
            out[-1] = (contig, out[-1][1], max(out[-1][2], end))
        else:
            out.append((contig, start, end))
    return out


def gene_regions(names, genes, reference) -> tuple:
    """Regions and the set of genes for ``--gene`` names (symbol or transcript ID)."""
    chosen = [g for g in genes.genes if g.name in names or (g.transcript and g.transcript in names)]
    missing = set(names) - {g.name for g in chosen} - {g.transcript for g in chosen}
    if missing:
        raise UsageError(f"--gene {sorted(missing)[0]}: not in the annotation")
    regions = []
    for g in chosen:
        contig = reference.resolve(g.chrom)
        if contig is None:
            raise UsageError(f"--gene {g.name}: contig {g.chrom} not in the FASTA")
        if g.tx_start > reference.length(contig):
            raise UsageError(f"--gene {g.name}: starts past the end of {contig} "
                             f"({reference.length(contig)} bp)")
        regions.append((contig, g.tx_start, min(g.tx_end, reference.length(contig))))
    return regions, {id(g) for g in chosen}
