#!/usr/bin/env bash
# Cached transfer of 10,000-nt five-member ensembles on a GPU: Arabidopsis, then C. elegans.
#
# Usage: benchmarks/training/gpu_transfer.sh DATA_DIR [OUT_DIR]
# DATA_DIR (copied onto the GPU machine; no ../shared there) holds:
#   arabidopsis/1pct.fa.gz arabidopsis/1pct.gff3.gz          (../shared/data/nonhuman/arabidopsis_TAIR10_1pct)
#   celegans/1pct_elegans.fa.gz celegans/1pct_elegans.gff3.gz (../shared/data/nonhuman/celegans_WS282_1pct)
#   openspliceai-arabidopsis/*.pt   optional: OpenSpliceAI's 10000nt Arabidopsis models, listed beside
# The human SpliceAI weights come from the installed spliceai package. Each species runs
# `spliceannot train species` (create-data -> cached transfer -> calibration on validation ->
# evaluation on every test gene) and prints positions/s, the evaluation table (top-k and PR-AUC
# per class; human vs transferred vs calibrated) and test NLL/ECE before/after calibration.
# Env overrides (the CPU dry run uses them): DEVICE (cuda), MEMBERS (5), EPOCHS (10),
# TRAINABLE (4 residual units: a GPU affords more than the CPU default of 2),
# BUDGET_ARA (75s), BUDGET_CEL (40s), SPECIES (arabidopsis celegans).
set -euo pipefail
D=$(cd "$1" && pwd)
O=${2:-/tmp/gpu_transfer}
DEVICE=${DEVICE:-cuda}
MEMBERS=${MEMBERS:-5}
EPOCHS=${EPOCHS:-10}
TRAINABLE=${TRAINABLE:-4}
export COLUMNS=160  # rich tables: full cells in a log
PY=${PYTHON:-$(command -v python3 || command -v python)}
mkdir -p "$O"
"$PY" - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "(cpu)")
PY
COMPARE=()
if ls "$D"/openspliceai-arabidopsis/*.pt >/dev/null 2>&1; then
  COMPARE=(--compare "$D/openspliceai-arabidopsis")
fi
for sp in ${SPECIES:-arabidopsis celegans}; do
  case $sp in
    arabidopsis) fa=$D/arabidopsis/1pct.fa.gz; gff=$D/arabidopsis/1pct.gff3.gz
      name="Arabidopsis thaliana"; split=(--train-chroms Chr1,Chr2,Chr3 --test-chroms Chr4,Chr5)
      budget=${BUDGET_ARA:-75s}; extra=("${COMPARE[@]}") ;;
    celegans) fa=$D/celegans/1pct_elegans.fa.gz; gff=$D/celegans/1pct_elegans.gff3.gz
      name="Caenorhabditis elegans"; split=(--train-chroms I,II,III,X --test-chroms IV,V)
      budget=${BUDGET_CEL:-40s}; extra=() ;;
    *) echo "unknown species $sp" >&2; exit 2 ;;
  esac
  rm -rf "$O/$sp"
  echo "=== $sp: train species --device $DEVICE --members $MEMBERS --epochs $EPOCHS --trainable-units $TRAINABLE --budget $budget"
  start=$(date +%s.%N)
  "$PY" -m spliceannot train species -R "$fa" -A "$gff" -o "$O/$sp" --species "$name" \
    "${split[@]}" --device "$DEVICE" --members "$MEMBERS" --epochs "$EPOCHS" \
    --trainable-units "$TRAINABLE" \
    --budget "$budget" "${extra[@]}" --no-progress
  end=$(date +%s.%N)
  echo "=== $sp wall seconds (whole command): $("$PY" -c "print(round($end - $start, 1))")"
  "$PY" - "$O/$sp/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for m in r["transfer"]["members"]:
    print(f"member {m['member']}: {m['steps']} steps, best epoch {m['best_epoch']}, "
          f"stopped by {m['stopped_by']}, cache {m['cache_seconds']} s, "
          f"train {m['train_seconds']} s, {m['positions_per_s']} positions/s, "
          f"val loss {m['val_loss_start']} -> {m['val_loss_best']}")
print("seconds:", json.dumps(r["seconds"]))
print(json.dumps({k: v["metrics"] for k, v in r["test"]["models"].items()}))
PY
  sed -n '/^## Evaluation/,$p' "$O/$sp/model/README.md"
done
