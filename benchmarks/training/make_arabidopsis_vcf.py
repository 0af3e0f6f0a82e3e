"""Make a small VCF of Arabidopsis SNVs at and near annotated splice sites of held-out genes.

Usage: python make_arabidopsis_vcf.py FASTA(.gz) GFF3(.gz) OUT_DIR [N_GENES]
Writes OUT_DIR/ref.fa (+ .fai; the KorfLab FASTA is plain gzip, which pysam cannot index) and
OUT_DIR/arabidopsis_sites.vcf: for each of the first N_GENES coding genes on Chr4/Chr5, the
donor +1 (G of GT) and acceptor -1 (G of AG) intronic bases mutated to the next base, and one
exonic base 10 nt inside the exon. Deterministic; derived only from the inputs.
"""

import pathlib
import sys

import pysam

from spliceannot.training.dataset import iter_fasta
from spliceannot.training.labels import site_positions
from spliceannot.training.transcripts import load_genes

NEXT = {"A": "C", "C": "G", "G": "T", "T": "A"}


def main(fasta, gff, out_dir, n_genes=12):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ref = out / "ref.fa"
    with open(ref, "w") as handle:
        for name, seq in iter_fasta(fasta):
            handle.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                handle.write(seq[i:i + 60] + "\n")
    pysam.faidx(str(ref))
    fa = pysam.FastaFile(str(ref))
    genes = [g for g in load_genes(gff) if g.chrom in ("Chr4", "Chr5") and len(g.exon_starts) > 2]
    records = set()
    for g in genes[:int(n_genes)]:
        acceptors, donors = site_positions(g)
        a, d = acceptors[0], donors[0]
        if g.strand == "+":
            picks = [d + 1, a - 1, d - 10]  # intron +1, intron -1 (AG's G), exon
        else:
            picks = [d - 1, a + 1, d + 10]
        for pos in picks:
            base = fa.fetch(g.chrom, pos - 1, pos).upper()
            if base in NEXT:
                records.add((g.chrom, pos, base, NEXT[base]))
    with open(out / "arabidopsis_sites.vcf", "w") as handle:
        handle.write("##fileformat=VCFv4.2\n")
        for name, length in zip(fa.references, fa.lengths):
            handle.write(f"##contig=<ID={name},length={length}>\n")
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for chrom, pos, r, a in sorted(records):
            handle.write(f"{chrom}\t{pos}\t.\t{r}\t{a}\t.\t.\t.\n")
    print(f"{len(records)} variants -> {out / 'arabidopsis_sites.vcf'}")


if __name__ == "__main__":
    main(*sys.argv[1:])
