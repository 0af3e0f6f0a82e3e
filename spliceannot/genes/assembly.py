"""Whether the FASTA, the VCF header and the annotation describe one assembly.

Each may state a contig's length: the FASTA always, a VCF header in ``##contig=<ID=..,length=..>``
and ``-A grch37``/``-A grch38`` through the assembly table (``assemblies.tsv``, the primary
contigs of GRCh37 and GRCh38). Lengths that disagree alone do not prove a mismatch: SpliceAI's own
test FASTA is the first 110 kb of chr10, scored with ``grch37``, and every coordinate is right.
What decides is the sequence at the annotated splice sites: on the right sequence nearly every
annotated intron starts GT (GC, AT) and ends AG (AC); on a slice with its own coordinates, or
another assembly, few do. So where a length disagrees, the introns inside the FASTA contig are
checked: fewer than half canonical stops the run with one line naming the contig and both
lengths; otherwise a warning says the lengths differ. Contigs whose lengths agree, and
annotations that state none with a VCF that states none, are not checked.
"""

import functools
import logging
from importlib import resources

from ..errors import InputError
from ..io.contig import canonical

log = logging.getLogger("spliceannot")
_PLUS = {("GT", "AG"), ("GC", "AG"), ("AT", "AC")}
_MINUS = {("CT", "AC"), ("CT", "GC"), ("GT", "AT")}  # the same read on the other strand
MAX_INTRONS = 200


@functools.lru_cache(maxsize=None)
def assembly_lengths(assembly: str) -> dict:
    """``{canonical contig: length}`` of an assembly's primary contigs (GRCh37, GRCh38)."""
    out = {}
    text = resources.files(__package__).joinpath("assemblies.tsv").read_text()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, contig, length = line.split("\t")
            if name == assembly:
                out[canonical(contig)] = int(length)
    return out


def intron_agreement(reference, contig: str, genes) -> tuple:
    """(canonical, checked): annotated introns on ``contig`` lying inside the FASTA contig, and
    how many of them carry canonical splice-site dinucleotides there (at most 200, spread)."""
    length = reference.length(contig)
    own = genes.contigs.resolve(contig)
    introns = set()
    for gene in genes.genes:
        if gene.chrom != own or gene.tx_end > length:
            continue
        exons = sorted(zip(gene.exon_starts, gene.exon_ends))
        for (_, end), (start, _) in zip(exons, exons[1:]):
            if start - end > 4:
                introns.add((end + 1, start - 1, gene.strand))
    introns = sorted(introns)
    if len(introns) > MAX_INTRONS:
        step = len(introns) / MAX_INTRONS
        introns = [introns[int(i * step)] for i in range(MAX_INTRONS)]
    good = 0
    for first, last, strand in introns:
        pair = (reference.fetch(contig, first - 1, first + 1).upper(),
                reference.fetch(contig, last - 2, last).upper())
        good += pair in (_PLUS if strand == "+" else _MINUS)
    return good, len(introns)


def check_assembly(reference, genes, vcf_lengths: dict = None) -> None:
    """Stop the run where a stated contig length disagrees with the FASTA and the annotated
    splice sites do not match the FASTA's sequence either; warn where only the lengths differ."""
    stated_by_annotation = getattr(genes, "contig_lengths", None) or {}
    for contig, length in reference.lengths.items():
        claims = []
        n = stated_by_annotation.get(canonical(contig))
        if n is not None and n != length:
            claims.append((f"annotation {genes.name} ({genes.assembly})", n))
        for name, n in (vcf_lengths or {}).items():
            if n != length and reference.resolve(name) == contig:
                claims.append(("the VCF header", n))
        if not claims:
            continue
        where, n = claims[0]
        good, checked = intron_agreement(reference, contig, genes) \
            if genes.contigs.resolve(contig) is not None else (0, 0)
        if checked and 2 * good < checked:
            raise InputError(f"contig {contig}: the FASTA has {length} bp, {where} says {n} bp, "
                             f"and only {good} of {checked} annotated introns inside the FASTA "
                             f"have canonical splice-site dinucleotides there: the FASTA is not "
                             f"of the annotation's assembly (a slice with its own coordinates?)")
        log.warning("contig %s: the FASTA has %d bp, %s says %d bp (%s)", contig, length, where, n,
                    f"{good} of {checked} annotated introns inside the FASTA match its sequence"
                    if checked else "no annotated intron inside the FASTA to compare")
