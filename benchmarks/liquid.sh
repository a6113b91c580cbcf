#!/usr/bin/env bash
# LTC and CfC train steps, ours (Liquid.Benchmarks liquid, the fused kernels) against the plain PyTorch
# cells of tests/reference/liquid_ref.py (benchmarks/pytorch/liquid.py, ncps's structure): B 16, T 128,
# 32 inputs, 64 units fully connected; LTC 6 unfolds, CfC backbone 128; MSE on every output, Adam.
# One intra-op thread on both sides (OpenMP and OpenBLAS). The sides alternate round by round (the
# order flips every round); prints every run, then medians of wall and thread-CPU time and the ratios
# (PyTorch time / ours: above 1 means we are faster) with their range over rounds.
#
#   ROUNDS=5        rounds
#   SECONDS_EACH=4  measured seconds per case and side per round
#   CASES="ltc cfc"
#   PLAIN=1         also time our op-by-op composition (fuse: false)
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" LIQUID_BUILD_PROJECT="benchmarks/Liquid.Benchmarks/Liquid.Benchmarks.csproj" \
  source scripts/bootstrap.sh

rounds="${ROUNDS:-5}"
seconds="${SECONDS_EACH:-4}"
# shellcheck disable=SC2206
cases=(${CASES:-ltc cfc})
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
load_start="$(cut -d' ' -f1 /proc/loadavg)"
export OPENBLAS_NUM_THREADS=1
ours() { dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll liquid --threads 1 --seconds "$seconds" "${cases[@]}" | tee -a "$out"; }
plain() { [[ -z "${PLAIN:-}" ]] || dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll liquid --threads 1 --seconds "$seconds" --plain "${cases[@]}" | tee -a "$out"; }
theirs() { /usr/bin/python3 benchmarks/pytorch/liquid.py --threads 1 --seconds "$seconds" "${cases[@]}" | tee -a "$out"; }
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round/$rounds (load $(cut -d' ' -f1 /proc/loadavg))"
  if (( round % 2 )); then ours; theirs; plain; else plain; theirs; ours; fi
done
python3 - "$out" "$load_start" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault((r["case"], r["side"]), []).append(r)
print(f"\nload average {sys.argv[2]} at the start, {sys.argv[3]} at the end; medians of {len(next(iter(runs.values())))} rounds, one thread")
print("| case | side | wall ms | CPU ms | PyTorch/ours (wall) | PyTorch/ours (CPU) |")
print("|---|---|---|---|---|---|")
for case in dict.fromkeys(c for c, _ in runs):
    theirs = runs[(case, "pytorch")]
    for side in ("ours", "ours-plain", "pytorch"):
        rs = runs.get((case, side))
        if not rs:
            continue
        wall = statistics.median(r["ms"] for r in rs)
        cpu = statistics.median(r["cpu_ms"] for r in rs)
        if side == "pytorch":
            print(f"| {case} | {side} | {wall:.1f} | {cpu:.1f} | | |")
            continue
        ratios = [t["ms"] / o["ms"] for o, t in zip(rs, theirs)]
        cpu_ratios = [t["cpu_ms"] / o["cpu_ms"] for o, t in zip(rs, theirs)]
        print(f"| {case} | {side} | {wall:.1f} | {cpu:.1f} | {statistics.median(ratios):.2f}× [{min(ratios):.2f}–{max(ratios):.2f}] "
              f"| {statistics.median(cpu_ratios):.2f}× [{min(cpu_ratios):.2f}–{max(cpu_ratios):.2f}] |")
PY
