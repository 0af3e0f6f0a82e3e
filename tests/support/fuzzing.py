"""Random VCF records of every kind, for the hypothesis tests and benchmarks/fuzz.py."""

import random

CONTIGS = ["chr16", "16", "chr9", "chrUn_fuzz"]
ALT_KINDS = ["A", "C", "G", "T", "N", "acgt", "R", "Y", "*", ".", "<DEL>", "<INS:ME>",
             "A]chr16:5000]", "[chr16:7[T", "AT", "TTTTTT", "GA", "CAT", "-", "A,C", "T,*", "G,R"]
GENE_SPANS = [(2008, 42487), (47583, 82980), (81338, 88980), (96155, 100246), (180421, 194987),
              (209792, 210116)]
LENGTH = 210155


def random_record(rng: random.Random, seq: str, i: int) -> str:
    """One VCF body line; about 1 in 12 is malformed on purpose."""
    chrom = rng.choice(CONTIGS) if rng.random() < 0.2 else "chr16"
    kind = rng.random()
    if kind < 0.15:
        pos = rng.choice([1, 2, 3, LENGTH - 2, LENGTH - 1, LENGTH, LENGTH + 5])
    elif kind < 0.8:
        lo, hi = rng.choice(GENE_SPANS)
        pos = rng.randint(max(1, lo - 30), min(LENGTH, hi + 30))
    else:
        pos = rng.randint(1, LENGTH)
    n = rng.choice([1, 1, 1, 2, 3, 6])
    ref = seq[pos - 1:pos - 1 + n] or "A"
    roll = rng.random()
    if roll < 0.1:
        ref = ref.lower()
    elif roll < 0.2:
        ref = rng.choice("ACGTN") * len(ref)  # often a REF mismatch
    alt = rng.choice(ALT_KINDS)
    if alt == ".":
        alt = "."
    fields = [chrom, str(pos), f"f{i}", ref, alt, ".", ".", "."]
    bad = rng.random()
    if bad < 0.03:
        fields[1] = rng.choice(["x", "-5", "0", "1.5", ""])
    elif bad < 0.06:
        fields = fields[:rng.randint(1, 7)]
    elif bad < 0.08:
        fields[3] = ""
    return "\t".join(fields)


def random_vcf(rng: random.Random, seq: str, n: int) -> str:
    header = ["##fileformat=VCFv4.2", "##contig=<ID=chr16,length=210155>",
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    return "\n".join(header + [random_record(rng, seq, i) for i in range(n)]) + "\n"
