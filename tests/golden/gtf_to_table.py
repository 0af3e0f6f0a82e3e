"""Turn the augustus-doc RefSeq GTF of hg38 chr16:186964-397118 into a SpliceAI gene table.

Recipe step for the golden fixtures (see README.md beside this file). Plain Python on purpose:
the fixture must not depend on the code it is used to test.

Policy: transcripts with the same strand and the same extent are one locus; the one with most
exons wins (ties: lowest accession). Transcripts of different extent stay separate rows, so
overlapping rows (a variant in two "genes") occur, as in SpliceAI's own tables. NAME is the RefSeq
accession because this GTF carries no gene symbols. Coordinates stay relative to the fragment,
exactly as the FASTA of the same package numbers them.
"""

import re
import sys
from collections import defaultdict


def read_transcripts(path):
    exons = defaultdict(list)
    info = {}
    with open(path) as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 9 or fields[2] != "exon":
                continue
            tid = re.search(r'transcript_id "([^"]+)"', fields[8]).group(1)
            exons[tid].append((int(fields[3]), int(fields[4])))
            info[tid] = (fields[0], fields[6])
    return exons, info


def main(gtf, out):
    exons, info = read_transcripts(gtf)
    loci = {}
    for tid, ex in exons.items():
        chrom, strand = info[tid]
        key = (chrom, strand, min(s for s, _ in ex), max(e for _, e in ex))
        best = loci.get(key)
        if best is None or (len(ex), best) > (len(exons[best]), tid):
            loci[key] = tid
    with open(out, "w") as handle:
        handle.write("#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END\n")
        for (chrom, strand, start, end), tid in sorted(loci.items(), key=lambda kv: kv[0][2]):
            ex = sorted(exons[tid])
            # Table convention: 0-based starts, 1-based ends, trailing comma on the lists.
            starts = "".join(f"{s - 1}," for s, _ in ex)
            ends = "".join(f"{e}," for _, e in ex)
            handle.write(f"{tid}\t{chrom}\t{strand}\t{start - 1}\t{end}\t{starts}\t{ends}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
