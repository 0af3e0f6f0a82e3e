"""Genome-scale precompute: every possible variant over genes or regions, scored into a
VEP-ready bgzip + tabix file, the kind of lookup file Illumina ships and SpliceAI-lookup reads.

The variants are written to a plain VCF first (one record per position and REF: the three SNVs
and, on request, the four 1-nt insertions share a record, so they share one reference window in
the fast engine), then scored by the ordinary pipeline, locally or on Ray, with the ``vep``
writer. The result is read back by ``score --precomputed``.
"""

import os
import re

from ..errors import UsageError

KINDS = ("snv", "ins", "del")
BASES = "ACGT"
MAX_DELETION = 4  # 1-4 nt deletions, as Illumina's precomputed indel file
_REGION = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>[0-9,]+)-(?P<end>[0-9,]+)$")


def targets(specs, genes) -> list:
    """(chrom, start, end) 1-based inclusive intervals for gene names/transcripts or regions,
    merged where they overlap, in first-seen contig order."""
    found = []
    for spec in specs:
        match = _REGION.match(spec)
        if match:
            start, end = (int(match[k].replace(",", "")) for k in ("start", "end"))
            if start < 1 or end < start:
                raise UsageError(f"region {spec}: needs 1 <= start <= end")
            found.append((match["chrom"], start, end))
            continue
        hits = [g for g in genes.genes if spec in (g.name, g.transcript)]
        if not hits:
            some = ", ".join(g.name for g in genes.genes[:5])
            raise UsageError(f"{spec}: no such gene or transcript in the annotation "
                             f"(e.g. {some}), and not a region CHROM:START-END")
        found += [(g.chrom, g.tx_start, g.tx_end) for g in hits]
    order = {}
    for chrom, _, _ in found:
        order.setdefault(chrom, len(order))
    merged = []
    for chrom, start, end in sorted(found, key=lambda t: (order[t[0]], t[1], t[2])):
        if merged and merged[-1][0] == chrom and start <= merged[-1][2] + 1:
            merged[-1] = (chrom, merged[-1][1], max(end, merged[-1][2]))
        else:
            merged.append((chrom, start, end))
    return merged


def variants(reference, chrom, start, end, kinds=("snv",)):
    """(pos, ref, alts) for every variant of ``kinds`` at positions start..end of chrom."""
    contig = reference.resolve(chrom)
    if contig is None:
        raise UsageError(f"{chrom}: not in the reference FASTA {reference.path}")
    end = min(end, reference.length(contig))
    seq = reference.fetch(contig, start - 1, end + MAX_DELETION).upper()
    for pos in range(start, end + 1):
        base = seq[pos - start]
        if base not in BASES:
            continue
        alts = [b for b in BASES if b != base] if "snv" in kinds else []
        alts += [base + b for b in BASES] if "ins" in kinds else []
        if alts:
            yield pos, base, alts
        if "del" in kinds:
            for k in range(1, MAX_DELETION + 1):
                ref = seq[pos - start:pos - start + k + 1]
                if len(ref) == k + 1 and all(b in BASES for b in ref):
                    yield pos, ref, [base]


def write_variants(path, reference, intervals, kinds) -> int:
    """The variant VCF to score; returns its record count."""
    contigs = dict.fromkeys(chrom for chrom, _, _ in intervals)
    n = 0
    with open(path, "w") as out:
        out.write("##fileformat=VCFv4.2\n")
        for chrom in contigs:
            length = reference.length(reference.resolve(chrom)) if reference.resolve(chrom) else 0
            out.write(f"##contig=<ID={chrom},length={length}>\n")
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for chrom, start, end in intervals:
            for pos, ref, alts in variants(reference, chrom, start, end, kinds):
                out.write(f"{chrom}\t{pos}\t.\t{ref}\t{','.join(alts)}\t.\t.\t.\n")
                n += 1
    return n


def precompute(specs, output_path, opts, kinds=("snv",)):
    """Score every variant of ``kinds`` over ``specs`` into ``output_path`` (.vep.vcf.gz),
    locally or on Ray as ``opts.engine`` says."""
    from ..pipeline import score_file
    from ..session import Session

    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise UsageError(f"--kinds: choose from {', '.join(KINDS)}, got {', '.join(kinds)}")
    if not output_path.endswith(".vep.vcf.gz"):
        raise UsageError(f"precompute writes a VEP-ready bgzip + tabix file: name it "
                         f"NAME.vep.vcf.gz, not {output_path}")
    if not specs:
        raise UsageError("give at least one gene, transcript or region CHROM:START-END")
    opts = opts.replace(format="vep")
    # The run's own checks and genes (through the model's scorer) before the variants are made.
    with Session.open(opts, output_path, lookups=False) as session:
        intervals = targets(specs, session.genes)
        variants_path = output_path + ".variants.vcf"
        write_variants(variants_path, session.reference, intervals, kinds)
    if opts.engine == "ray":
        from .distributed import score_distributed

        summary = score_distributed(variants_path, output_path, opts)
    else:
        summary = score_file(variants_path, output_path, opts)
    os.unlink(variants_path)
    summary.intervals = intervals
    return summary
