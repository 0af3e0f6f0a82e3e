#!/usr/bin/env bash
# The whole GPU check in one call: GPU tests, golden string identity, |p - Keras|, engine vs
# per-window, SNVs/s per precision (sparse/dense, D=50 and D=500 M=1), peak GPU memory, fraction
# of fp32 peak, precompute of one gene read back through --precomputed, device operations per
# 1,000 SNVs (bench_engine.py --launches). Prints ONE table at the end (the launch table just before it).
#
#   bash benchmarks/gpu.sh                       # on the GPU machine (about 5 minutes on an H200)
#   bash benchmarks/gpu.sh --device cpu --quick  # dry run on a CPU, tiny sizes
#
# Run from the repository root with PYTHONPATH holding it (and carried wheels, see DEVELOPERS.md).
# Each section runs in its own process under `timeout`, so one slow part cannot eat the budget;
# a section that times out or fails is a row of the table. With $OUT set, the log and the table
# also go to $OUT/gpu_table.txt. Extra arguments after the known ones go to every section.
set -u
DEVICE=cuda
QUICK=""
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="$2"; shift 2 ;;
    --quick) QUICK="--quick"; shift ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
HERE="$(cd "$(dirname "$0")/.." && pwd)"
cd "$HERE"
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$HERE"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
RESULTS="$WORK/results.jsonl"
LOG="${OUT:+$OUT/gpu_table.txt}"
LOG="${LOG:-$WORK/gpu_table.txt}"
: > "$RESULTS"
: > "$LOG"

# name:seconds -- budgets sum to 380 s (under 7 minutes with start-up); quick runs on a CPU get more per section
if [ -n "$QUICK" ]; then
  SECTIONS="tests:300 golden:900 keras:300 throughput:1500 precompute:900"
else
  SECTIONS="${GPU_SECTIONS:-tests:80 golden:75 keras:20 throughput:160 precompute:45}"
fi

started=$(date +%s)
{
  echo "# gpu.sh on $(hostname) at $(date -u +%FT%TZ), device $DEVICE ${QUICK}"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  "$PY" -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
  "$PY" -c 'import ray' 2>/dev/null && echo "ray importable (ray parts run in tests)" || echo "ray not importable: ray parts skipped"
} 2>&1 | tee -a "$LOG"

for entry in $SECTIONS; do
  name="${entry%%:*}"; budget="${entry##*:}"
  t0=$(date +%s)
  timeout -k 10 "$budget" "$PY" benchmarks/gpu_bench.py "$name" --device "$DEVICE" $QUICK \
      --results "$RESULTS" "${EXTRA[@]}" 2>&1 | tee -a "$LOG"
  rc=${PIPESTATUS[0]}
  t1=$(date +%s)
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "{\"section\": \"$name\", \"item\": \"section\", \"value\": \"TIMED OUT\", \"note\": \"after ${budget} s; rows above are what finished\"}" >> "$RESULTS"
  elif [ "$rc" != 0 ]; then
    echo "{\"section\": \"$name\", \"item\": \"section\", \"value\": \"FAILED (exit $rc)\", \"note\": \"see the log above\"}" >> "$RESULTS"
  fi
  echo "## section $name: exit $rc, $((t1 - t0)) s" | tee -a "$LOG"
done

# Device operations per 1,000 SNVs on the device itself (the CPU proxy's counts, checked where
# they launch): dense D=500 -M 1 and sparse D=50, convolutions computed.
if [ -n "$QUICK" ]; then LAUNCH_ARGS="--dense-bp 4 --sparse 3"; else LAUNCH_ARGS="--dense-bp 342 --sparse 40"; fi
timeout -k 10 "${LAUNCH_BUDGET:-60}" "$PY" benchmarks/bench_engine.py --launches --compute \
    --device "$DEVICE" --batch-size 1024 --chunk-size 1024 --track-positions 400000 $LAUNCH_ARGS 2>&1 | tee -a "$LOG"

echo "# total $(( $(date +%s) - started )) s" | tee -a "$LOG"
"$PY" benchmarks/gpu_bench.py table --results "$RESULTS" 2>&1 | tee -a "$LOG"
