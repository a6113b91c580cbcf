#!/usr/bin/env bash
# The liquid-foundation-tiny train step, ours against a PyTorch implementation of the same model
# (benchmarks/pytorch/foundation_model.py; its --check first confirms, in float64, that it computes
# what the reference model of tests/reference/make_foundation_model.py computes). A step is B 16 × T
# 128 tokens of the tiny recipe: forward in training mode, the YAML's objective, backward, clipping at
# 1.0, AdamW. One intra-op thread each; every measurement is its own process; ours and PyTorch's
# alternate, the order flipping every round. The summary takes medians over the rounds of the
# thread's CPU time per step (less disturbed by other processes than wall time on the shared machine)
# and of wall time, and appends a dated table to benchmarks/FOUNDATION-RESULTS.md.
#
#   ROUNDS=3                 rounds
#   SECONDS_PER_CASE=10      measured time per process (after 1 s of warm-up)
#   NO_RECORD=1              print the summary without appending to FOUNDATION-RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" LIQUID_BUILD_PROJECT="benchmarks/Liquid.Benchmarks/Liquid.Benchmarks.csproj" \
  source scripts/bootstrap.sh

rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_CASE:-10}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }

/usr/bin/python3 benchmarks/pytorch/foundation_model.py --check
load_start="$(load)"
started=$SECONDS
ours() { dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll foundation-model --seconds "$seconds" | tee -a "$out"; }
theirs() { /usr/bin/python3 benchmarks/pytorch/foundation_model.py --seconds "$seconds" | tee -a "$out"; }
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round/$rounds (load $(load), ${SECONDS}s)"
  if (( round % 2 )); then ours; theirs; else theirs; ours; fi
done

/usr/bin/python3 - "$out" "$rounds" "$load_start" "$(load)" "$((SECONDS - started))" "${NO_RECORD:-}" <<'PY'
import datetime, json, statistics, subprocess, sys
path, rounds, load_start, load_end, elapsed, no_record = sys.argv[1:7]
runs = {}
for line in open(path):
    if line.startswith("{"):
        r = json.loads(line)
        runs.setdefault(r["side"], []).append(r)
def median(side, key):
    return statistics.median(r[key] for r in runs[side])
ratios = [t["cpu_ms"] / o["cpu_ms"] for o, t in zip(runs["ours"], runs["pytorch"])]
cpu = median("pytorch", "cpu_ms") / median("ours", "cpu_ms")
wall = median("pytorch", "ms") / median("ours", "ms")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
table = (f"## {datetime.date.today().isoformat()}, commit {commit}{' (uncommitted changes)' if dirty else ''}\n\n"
         f"benchmarks/foundation-model.sh, {rounds} rounds, one thread each, 1-minute load {load_start} → {load_end}, {elapsed} s.\n"
         "Medians over the rounds of the thread's CPU ms and the wall ms per train step (B 16 × T 128); ratios PyTorch/ours "
         "(above 1: we are faster), the per-round CPU ratios in brackets.\n\n"
         "| comparison | CPU ms (ours / PyTorch) | CPU ratio | wall ms (ours / PyTorch) | wall ratio | target |\n|---|---|---|---|---|---|\n"
         f"| liquid-foundation-tiny train step | {median('ours', 'cpu_ms'):.0f} / {median('pytorch', 'cpu_ms'):.0f} | "
         f"**{cpu:.2f}×** [{min(ratios):.2f}–{max(ratios):.2f}] | {median('ours', 'ms'):.0f} / {median('pytorch', 'ms'):.0f} | {wall:.2f}× | ≥ 1.0× |\n")
print()
print(table)
if not no_record:
    with open("benchmarks/FOUNDATION-RESULTS.md", "a") as stream:
        stream.write("\n" + table)
PY
