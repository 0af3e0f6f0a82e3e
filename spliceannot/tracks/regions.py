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
    start, end = int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
    if not 1 <= start <= end:
        raise UsageError(f"region {text!r}: need 1 <= START <= END")
    return contig, start, min(end, length)


def read_bed_regions(path: str, reference) -> list:
    """0-based half-open BED intervals -> (contig, start, end) 1-based inclusive."""
    regions = []
    with open(path) as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
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
            regions.append((contig, start + 1, min(end, reference.length(contig))))
    return regions


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
        regions.append((contig, g.tx_start, min(g.tx_end, reference.length(contig))))
    return regions, {id(g) for g in chosen}
