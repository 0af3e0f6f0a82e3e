#!/usr/bin/env bash
# Recreate the golden outputs with Pangolin's own code, in a throwaway venv outside the repo.
# Needs network access once (PyPI and GitHub). Run from the repository root.
set -euo pipefail
REPO=$PWD
WORK=${WORK:-/tmp/pangolin-golden}
WEIGHTS=${SPLICEANNOT_PANGOLIN_DIR:-$REPO/../shared/data/models/pangolin}
COMMIT=ee70f480cf5b3eb19e29ced6c2195b4030a31f5d  # tkzeng/Pangolin master (setup.py: 1.0.2)
mkdir -p "$WORK" && cd "$WORK"
python3 -m venv venv
venv/bin/pip install torch==2.13.0 gffutils pyfastx pandas PyVCF3 "setuptools<81"
[ -d Pangolin ] || git clone https://github.com/tkzeng/Pangolin
git -C Pangolin checkout -q $COMMIT
# The weights the CLI loads from pangolin/models/ (the clone has them; ../shared holds the same).
cp -n "$WEIGHTS"/final.*.3.v2 Pangolin/pangolin/models/ 2>/dev/null || true
GOLDEN=$REPO/plugins/spliceannot-pangolin/tests/golden
cp "$REPO/examples/data/hg38_chr16_186964-397118.fa" chr16.fa  # pyfastx writes its index beside it
python3 "$GOLDEN/make_inputs.py" "$WORK"
venv/bin/python Pangolin/scripts/create_db.py pangolin_chr16.gtf  # -> pangolin_chr16.db
export PYTHONPATH=$WORK/Pangolin
venv/bin/python "$GOLDEN/run_pangolin.py" variants.vcf chr16.fa pangolin_chr16.db d50 -d 50 -m True
venv/bin/python "$GOLDEN/run_pangolin.py" variants.vcf chr16.fa pangolin_chr16.db d500 -d 500 -m False
cp d50.vcf "$GOLDEN/pangolin_d50_mTrue.vcf"
cp d500.vcf "$GOLDEN/pangolin_d500_mFalse.vcf"
