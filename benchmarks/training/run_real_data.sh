#!/usr/bin/env bash
# Real-data runs of issue 4 (training), CPU only; numbers go to benchmarks/RESULTS.md.
# Usage: benchmarks/training/run_real_data.sh WORK_DIR   (needs ../shared/data beside the repo)
set -euxo pipefail
W=${1:-/tmp/spliceannot-training}
S=$(cd "$(dirname "$0")/../../.." && pwd)/shared/data
ARA=$S/nonhuman/arabidopsis_TAIR10_1pct
mkdir -p "$W"
P=--no-progress

# (b) Arabidopsis: train/val on Chr1-3, test on Chr4-5, 10k context.
spliceannot train create-data -R $ARA/1pct.fa.gz -A $ARA/1pct.gff3.gz -o $W/ara10k \
  --context 10000 --train-chroms Chr1,Chr2,Chr3 --test-chroms Chr4,Chr5 \
  --species "Arabidopsis thaliana" $P
# Transfer from human SpliceAI member 1: last 4 residual units + head trainable, 1 short epoch.
time spliceannot train transfer --from spliceai -d $W/ara10k -o $W/ara_transfer \
  --trainable-units 4 --epochs 1 --steps-per-epoch 40 --batch-size 2 --lr 3e-4 \
  --val-windows 12 --species "Arabidopsis thaliana" $P
# (c) calibration on the validation genes.
time spliceannot train calibrate -m $W/ara_transfer -d $W/ara10k $P
spliceannot train convert --from $S/models/openspliceai/openspliceai-arabidopsis/10000nt \
  -o $W/openspliceai_arabidopsis --species "Arabidopsis thaliana (OpenSpliceAI)"
for m in $W/ara_transfer spliceai $W/openspliceai_arabidopsis; do
  n=$(basename $m)
  time spliceannot train evaluate -m $m -d $W/ara10k/test.h5 --genes 30 --seed 0 \
    --batch-size 2 --json $W/eval_ara_$n.json $P
done
# (d) the transferred, calibrated model in `spliceannot score`.
python benchmarks/training/make_arabidopsis_vcf.py $ARA/1pct.fa.gz $ARA/1pct.gff3.gz $W/vcf 12
time spliceannot score $W/vcf/arabidopsis_sites.vcf -R $W/vcf/ref.fa -A $ARA/1pct.gff3.gz \
  --model $W/ara_transfer -o $W/vcf/scored_transfer.vcf
# (a) original SpliceAI on GRCh37 chr20 genes (SpliceAI's table), a seeded gene sample.
spliceannot train create-data -R $S/human_grch37/chr20/20.fa.gz \
  -A $S/human_grch37/chr20/spliceai_grch37_chr20.txt.gz -o $W/chr20 --context 10000 \
  --test-chroms 20 --species "Homo sapiens" $P
time spliceannot train evaluate -m spliceai -d $W/chr20/test.h5 --genes ${CHR20_GENES:-4} \
  --seed 0 --batch-size 2 --json $W/eval_chr20_spliceai.json $P
