#!/usr/bin/env bash
# 1 versus 2 intra-op threads on this machine: a 1024² matmul (GFLOP/s) and a loop of small ops
# (µs per iteration), for our runtime and PyTorch (both sizing OpenMP and OpenBLAS to N threads),
# alternated round by round; prints each run and the medians. The runtime's default thread count
# (Torch.DefaultThreads) was chosen from these numbers (runtime/native/README.md, "Threads").
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" source scripts/bootstrap.sh
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for ((round = 1; round <= ${ROUNDS:-5}; round++)); do
  for threads in 1 2; do
    echo "ours    $(dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll threads "$threads")" | tee -a "$out"
    echo "pytorch $(/usr/bin/python3 benchmarks/pytorch/per_op.py threads "$threads")" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, _, text = line.partition(" ")
    r = json.loads(text)
    runs.setdefault((side, r["threads"]), []).append(r)
print(f"\nload average {open('/proc/loadavg').read().split()[0]} at the end; medians of {len(runs[('ours', 1)])} rounds")
print("| side | threads | 1024² matmul GFLOP/s | 64² mul+add loop µs/iteration |")
print("|---|---|---|---|")
for side in ("ours", "pytorch"):
    for n in (1, 2):
        rs = runs[(side, n)]
        print(f"| {side} | {n} | {statistics.median(r['matmul_gflops'] for r in rs):.1f} | {statistics.median(r['small_ops_us'] for r in rs):.2f} |")
PY
