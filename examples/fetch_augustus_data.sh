#!/usr/bin/env bash
# Re-derive the bundled example data from Debian's augustus-doc package (provenance recipe).
# examples/data/hg38_chr16_186964-397118.fa    = tutorial-cgp/data/genomes/hg38.fa (unchanged)
# examples/data/hg38_chr16_186964-397118.refseq.gtf = tutorial-cgp/data/refseq/refseq.hg38.gtf
# annotations/hg38_chr16_186964-397118.refseq.txt  = tests/golden/gtf_to_table.py of that GTF
# Coordinates are relative to the fragment (1 = hg38 chr16:186,964) in both files.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
(cd "$tmp" && apt-get download augustus-doc && dpkg -x augustus-doc_*.deb x)
d="$tmp/x/usr/share/doc/augustus/tutorial-cgp/data"
cp "$d/genomes/hg38.fa" "$here/examples/data/hg38_chr16_186964-397118.fa"
cp "$d/refseq/refseq.hg38.gtf" "$here/examples/data/hg38_chr16_186964-397118.refseq.gtf"
python3 "$here/tests/golden/gtf_to_table.py" "$d/refseq/refseq.hg38.gtf" \
    "$here/annotations/hg38_chr16_186964-397118.refseq.txt"
rm -rf "$tmp"
