"""Write the golden inputs: a GENCODE-style GTF and a VCF of hand-picked variants on the bundled
hg38 chr16 slice.

The GTF is the bundled RefSeq gene table recast the way GENCODE writes genes: a ``gene`` line
per gene (its extent spans all its transcripts), ``transcript`` and ``exon`` lines, and the tag
``Ensembl_canonical`` on one transcript per gene -- what Pangolin's ``create_db.py`` keeps. Two
genes are made on purpose: ``PG_NOCANON`` has no canonical transcript (Pangolin's
NoAnnotatedSitesToMaskForThisGene) and ``PG_INNER`` lies inside ``PG_B`` on the same strand
(Pangolin masks the two genes' shared track in turn).

The variants cover SNVs near annotated splice sites on both strands, insertions of 1-6 bases,
deletions of 2-12 bases and of 60 and 101 bases (the latter too large at -d 50 only), MNVs,
overlapping genes, a gene with no annotated site within -d, multi-allelic records (Pangolin
scores ALT[0]) and the records Pangolin skips: an unsupported format (REF and ALT both longer
than one base and of different lengths, symbolic, '*', 'N'), a REF that does not match the FASTA
(also a lower-case REF against soft-masked sequence) and a position outside every gene.

Run from the repository root: ``python plugins/spliceannot-pangolin/tests/golden/make_inputs.py``.
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[3]
TABLE = REPO / "annotations" / "hg38_chr16_186964-397118.refseq.txt"
FASTA = REPO / "examples" / "data" / "hg38_chr16_186964-397118.fa"

# gene_id, strand, [transcripts] (the first is the canonical one, unless the gene has none)
GENES = [
    ("PG_A", "-", ["NM_018032", "NM_201412"]),
    ("PG_B", "+", ["NM_001284497", "NR_104317"]),
    ("PG_C", "-", ["NM_003834"]),
    ("PG_D", "+", ["NM_001176"]),
    ("PG_NOCANON", "+", ["NM_006849"]),
    ("PG_E", "-", ["NM_003502"]),
    ("PG_F", "-", ["NM_006428"]),
    ("PG_G", "-", ["NM_021259"]),
    ("PG_H", "+", ["NR_024453"]),
]
NO_CANONICAL = {"PG_NOCANON"}
# A same-strand gene inside PG_B, written after it: (start, end) of its canonical exons.
INNER = ("PG_INNER", "+", [(63000, 63150), (64800, 64950), (66000, 66300)])


def read_table():
    rows = {}
    for line in TABLE.read_text().splitlines()[1:]:
        name, chrom, strand, txs, txe, es, ee = line.split("\t")
        starts = [int(x) + 1 for x in es.split(",") if x]
        ends = [int(x) for x in ee.split(",") if x]
        rows[name] = (chrom, strand, list(zip(starts, ends)))
    return rows


def gtf_line(chrom, feature, start, end, strand, attrs):
    text = " ".join(f'{k} "{v}";' for k, v in attrs)
    return f"{chrom}\tgolden\t{feature}\t{start}\t{end}\t.\t{strand}\t.\t{text}\n"


def write_gtf(path):
    rows = read_table()
    out = []

    def gene_block(gid, strand, transcripts, canonical):
        chrom = "chr16"
        start = min(s for _, exons in transcripts for s, _ in exons)
        end = max(e for _, exons in transcripts for _, e in exons)
        out.append(gtf_line(chrom, "gene", start, end, strand,
                            [("gene_id", gid), ("gene_name", gid)]))
        for i, (tid, exons) in enumerate(transcripts):
            tags = [("tag", "basic")] + ([("tag", "Ensembl_canonical")] if canonical and i == 0
                                         else [])
            base = [("gene_id", gid), ("transcript_id", tid), ("gene_name", gid)]
            out.append(gtf_line(chrom, "transcript", exons[0][0], exons[-1][1], strand,
                                base + tags))
            order = exons if strand == "+" else exons[::-1]
            for n, (s, e) in enumerate(order, 1):
                out.append(gtf_line(chrom, "exon", s, e, strand,
                                    base + [("exon_number", n)] + tags))

    for gid, strand, tids in GENES:
        gene_block(gid, strand, [(t, rows[t][2]) for t in tids], gid not in NO_CANONICAL)
        if gid == "PG_B":
            gene_block(INNER[0], INNER[1], [("TX_INNER", INNER[2])], True)
    path.write_text("".join(out))


def read_fasta():
    lines = FASTA.read_text().splitlines()
    return "".join(lines[1:])


def variants(seq):
    """(pos, ref, alt, id): ref taken from the FASTA unless given."""
    def base(pos, n=1):
        return seq[pos - 1:pos - 1 + n].upper()

    def other(b):
        return {"A": "G", "C": "T", "G": "A", "T": "C"}.get(b, "A")

    out = []
    # SNVs at and near splice sites: PG_A (-), PG_B (+), PG_C (-, overlaps PG_B), PG_D (+), PG_E (-)
    for pos in (12098, 12099, 12101, 19183, 19185, 21113, 21226, 62586, 62585, 62692, 62694,
                67418, 72636, 82000, 82540, 82538, 94783, 95145, 95146, 104226, 104334, 117341):
        b = base(pos)
        out.append((pos, b, other(b), f"snv{pos}"))
    # same-strand overlap (PG_B and PG_INNER), a gene without canonical transcripts, no site in range
    for pos in (63001, 64951, 66100, 97424, 97700, 30000, 140000):
        b = base(pos)
        out.append((pos, b, other(b), f"snv{pos}"))
    # insertions of 1-6 bases
    for pos, ins in ((12097, "A"), (62584, "TT"), (82541, "GAC"), (94781, "CAGT"),
                     (104333, "TTTAG"), (72640, "GGATCC")):
        b = base(pos)
        out.append((pos, b, b + ins, f"ins{pos}"))
    # deletions of 2-12 bases, then 60 and 101 (too large at -d 50)
    for pos, n in ((12095, 2), (62580, 3), (82535, 4), (94779, 5), (104330, 6), (19180, 8),
                   (67410, 12), (72600, 60), (95100, 101)):
        out.append((pos, base(pos, n), base(pos), f"del{pos}_{n}"))
    # MNVs (REF and ALT of equal length: Pangolin scores them as substitutions)
    for pos, n in ((62690, 2), (82419, 3)):
        ref = base(pos, n)
        out.append((pos, ref, "".join(other(c) for c in ref), f"mnv{pos}"))
    # multi-allelic: Pangolin scores ALT[0] only
    b = base(21114)
    out.append((21114, b, f"{other(b)},{b}TT", "multi21114"))
    b = base(75130)
    out.append((75130, b, f"{b}A,{other(b)}", "multi75130"))
    # skipped: unsupported format, symbolic, '*', N, REF mismatch, outside genes
    out.append((62600, base(62600, 2), base(62600) + "AAA"[:1] + "C", "delins62600"))
    out.append((62610, base(62610), "<DEL>", "symbolic62610"))
    out.append((62620, base(62620), "*", "star62620"))
    out.append((62630, base(62630), "N", "n62630"))
    out.append((62640, other(base(62640)), base(62640), "mismatch62640"))
    out.append((91000, base(91000), other(base(91000)), "nogene91000"))
    # lower-case REF (soft-masked FASTA): Pangolin compares case-sensitively
    soft = next(i + 1 for i in range(63200, 80000) if seq[i].islower())
    out.append((soft, seq[soft - 1].upper(), other(seq[soft - 1].upper()), f"softmask{soft}"))
    return sorted(out)


def write_vcf(path, seq):
    head = ["##fileformat=VCFv4.2", f"##contig=<ID=chr16,length={len(seq)}>",
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    body = [f"chr16\t{pos}\t{vid}\t{ref}\t{alt}\t.\t.\t." for pos, ref, alt, vid in
            variants(seq)]
    path.write_text("\n".join(head + body) + "\n")


if __name__ == "__main__":
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    write_gtf(out / "pangolin_chr16.gtf")
    write_vcf(out / "variants.vcf", read_fasta())
