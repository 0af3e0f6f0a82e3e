"""Build the golden-fixture VCF over hg38 chr16:186964-397118 (augustus-doc), seeded.

Recipe step (see README.md beside this file). Plain Python so the fixture is independent of the
code under test. Every kind of record the core issue lists appears: SNVs at and around exon
boundaries (both strands, overlapping genes), deep intronic/exonic SNVs, insertions, deletions
(some across boundaries and transcript ends), MNV/delins, multi-allelic records, REF mismatches,
REF longer than 2D at D=50, `*`/`.`/symbolic ALTs, intergenic records and windows that run past
the contig ends. Breakend and IUPAC ALTs are absent: there spliceannot deliberately differs from
spliceai 1.3.1 (it skips them), so they are tested elsewhere.
"""

import random
import sys

BASES = "ACGT"


def read_fasta(path):
    seq = []
    with open(path) as handle:
        name = handle.readline()[1:].split()[0]
        for line in handle:
            seq.append(line.strip())
    return name, "".join(seq)


def read_table(path):
    rows = []
    with open(path) as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            name, chrom, strand, start, end, es, ee = line.rstrip("\n").split("\t")
            rows.append((name, strand, int(start) + 1, int(end),
                         [int(x) + 1 for x in es.split(",") if x], [int(x) for x in ee.split(",") if x]))
    return rows


def main(fasta, table, out, seed=2026):
    rng = random.Random(seed)
    chrom, seq = read_fasta(fasta)
    genes = read_table(table)

    def ref_at(pos, n=1):
        return seq[pos - 1:pos - 1 + n].upper()

    def other(base):
        return rng.choice([b for b in BASES if b != base])

    records = []  # (pos, ref, alt)

    def add(pos, ref, alt):
        records.append((pos, ref, alt))

    boundaries = []
    for _, _, txs, txe, es, ee in genes:
        for s in es:
            if s != txs:
                boundaries.append(s)  # first base of an inner exon
        for e in ee:
            if e != txe:
                boundaries.append(e)  # last base of an inner exon
    # Keep windows inside the contig for these ordinary cases.
    inner = [b for b in boundaries if 5600 < b < len(seq) - 5600]
    rng.shuffle(inner)

    # SNVs at and near exon boundaries (the cases where splicing changes).
    for b in inner[:110]:
        pos = b + rng.choice([-3, -2, -1, 0, 0, 1, 1, 2, 5, -8])
        r = ref_at(pos)
        add(pos, r, other(r))
    # Deep SNVs anywhere inside transcripts.
    for _ in range(60):
        _, _, txs, txe, _, _ = rng.choice(genes)
        lo, hi = max(txs, 5600), min(txe, len(seq) - 5600)
        if lo >= hi:
            continue
        pos = rng.randint(lo, hi)
        r = ref_at(pos)
        if r in BASES:
            add(pos, r, other(r))
    # Insertions (1-6 nt) near boundaries.
    for b in inner[110:140]:
        pos = b + rng.randint(-4, 3)
        r = ref_at(pos)
        add(pos, r, r + "".join(rng.choice(BASES) for _ in range(rng.randint(1, 6))))
    # Deletions (REF 2-12 nt) near and across boundaries.
    for b in inner[140:170]:
        n = rng.randint(2, 12)
        pos = b - rng.randint(0, n)
        add(pos, ref_at(pos, n), ref_at(pos))
    # MNV / delins: scored as "." entries by 1.3.1.
    for b in inner[170:178]:
        n = rng.randint(2, 4)
        add(b, ref_at(b, n), "".join(rng.choice(BASES) for _ in range(rng.randint(2, 4))))
    # Multi-allelic: SNV alts, SNV + indel, SNV + MNV.
    for b in inner[178:188]:
        r = ref_at(b)
        alts = [x for x in BASES if x != r]
        rng.shuffle(alts)
        kind = rng.randrange(3)
        if kind == 0:
            add(b, r, ",".join(alts[:rng.randint(2, 3)]))
        elif kind == 1:
            add(b, r, alts[0] + "," + r + rng.choice(BASES) + rng.choice(BASES))
        else:
            r2 = ref_at(b, 2)
            add(b, r2, r2[0] + "," + other(r2[0]) + other(r2[1]))
    # Variants near transcript ends, where the N mask sits inside the window.
    for _, _, txs, txe, _, _ in genes:
        for pos in (txs, txs + 1, txs + 17, txe - 23, txe - 1, txe):
            if 5600 < pos < len(seq) - 5600:
                r = ref_at(pos)
                add(pos, r, other(r))
        # A deletion running past the transcript end.
        if 5600 < txe - 2 < len(seq) - 5600:
            add(txe - 2, ref_at(txe - 2, 6), ref_at(txe - 2))
    # REF mismatches: the VCF claims a base the FASTA does not have.
    for b in inner[188:196]:
        r = ref_at(b)
        add(b, other(r), r)
    # REF longer than 2D at D=50 (skipped there, scored at D=500).
    for b in inner[196:198]:
        add(b - 50, ref_at(b - 50, 101), ref_at(b - 50))
    # ALTs 1.3.1 ignores: '*', '.', symbolic.
    for alt in ("*", "<DEL>", "A,*"):
        b = inner.pop()
        add(b, ref_at(b), alt)
    b = inner.pop()
    add(b, ref_at(b), ".")
    # Intergenic records (no overlapping gene: no INFO at all).
    for pos in (44000, 45500, 90500, 170000, 175123, 207000):
        r = ref_at(pos)
        add(pos, r, other(r))
    # Windows past the contig ends, inside annotated genes.
    for pos in (2100, 2600, 5000, 209800, 210000, 210100):
        r = ref_at(pos)
        add(pos, r, other(r))

    records.sort(key=lambda r: r[0])
    with open(out, "w") as handle:
        handle.write("##fileformat=VCFv4.2\n")
        handle.write(f"##contig=<ID={chrom},length={len(seq)}>\n")
        handle.write("##source=spliceannot tests/golden/make_variants.py seed=%d\n" % seed)
        handle.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for i, (pos, ref, alt) in enumerate(records, 1):
            handle.write(f"{chrom}\t{pos}\tv{i}\t{ref}\t{alt}\t.\t.\t.\n")
    print(f"{len(records)} records written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
