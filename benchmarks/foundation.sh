#!/usr/bin/env bash
# Liquid Foundation fast paths against the dense work they replace, one thread each:
#   - sliding-window attention (T 4096, W 512, 8 heads of 64, 4 key/value heads, float32): our band
#     kernel (Functional.WindowAttention) against masked dense attention in PyTorch, time and peak
#     memory, forward (no-grad) and forward + backward; our own masked dense composition for context;
#   - mixture of experts (8 experts, top-2, d 512, FF 1024, 4096 tokens): our routed Moe.Forward
#     against running every expert densely (Moe.ForwardDense, and the same in PyTorch), with PyTorch's
#     usual routed loop for context.
# Every measurement is its own process (so its peak RSS is its own: VmHWM after the case minus VmRSS
# before it, the high-water mark reset in between); ours and PyTorch's alternate, the order flipping
# every round. The summary takes medians over rounds of the thread's CPU time per call (less disturbed
# than wall time on a shared machine) and of wall time, and appends a dated table to
# benchmarks/FOUNDATION-RESULTS.md.
#
#   ROUNDS=3     rounds
#   SECONDS_PER_CASE=1.0   measured time per case and process (after warm-up)
#   NO_RECORD=1  print the summary without appending to FOUNDATION-RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" LIQUID_BUILD_PROJECT="benchmarks/Liquid.Benchmarks/Liquid.Benchmarks.csproj" \
  source scripts/bootstrap.sh

rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_CASE:-1.0}"
ours_cases=(window/fwd window/train window-dense/fwd window-dense/train moe/fwd moe/train moe-dense/fwd moe-dense/train)
torch_cases=(dense-attention/fwd dense-attention/train moe-dense/fwd moe-dense/train moe-routed/fwd moe-routed/train)

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
load_start="$(load)"
started=$SECONDS
ours() { for c in "${ours_cases[@]}"; do dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll foundation "$c" --seconds "$seconds" | tee -a "$out"; done; }
theirs() { for c in "${torch_cases[@]}"; do /usr/bin/python3 benchmarks/pytorch/foundation.py "$c" --seconds "$seconds" | tee -a "$out"; done; }
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round/$rounds (load $(load), ${SECONDS}s)"
  if (( round % 2 )); then ours; theirs; else theirs; ours; fi
done

/usr/bin/python3 - "$out" "$rounds" "$load_start" "$(load)" "$((SECONDS - started))" "${NO_RECORD:-}" <<'PY'
import datetime, json, statistics, subprocess, sys
path, rounds, load_start, load_end, elapsed, no_record = sys.argv[1:7]
runs = {}
for line in open(path):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        runs.setdefault((r["side"], r["case"]), []).append(r)
def median(side, case, key):
    return statistics.median(r[key] for r in runs[(side, case)])
rows = []
def compare(label, fast, slow, target=None, memory_target=None):
    cpu = median(*slow, "cpu_ms") / median(*fast, "cpu_ms")
    wall = median(*slow, "ms") / median(*fast, "ms")
    mem = median(*fast, "peak_mb") / max(median(*slow, "peak_mb"), 1e-9)
    rows.append(f"| {label} | {median(*fast, 'cpu_ms'):.0f} / {median(*slow, 'cpu_ms'):.0f} | **{cpu:.2f}×** | {wall:.2f}× | "
                f"{median(*fast, 'peak_mb'):.0f} / {median(*slow, 'peak_mb'):.0f} | {mem:.3f} | {target or ''} |")
for task in ("fwd", "train"):
    compare(f"window {task}: ours band vs PyTorch masked dense", ("ours", f"window/{task}"), ("pytorch", f"dense-attention/{task}"),
            "≥ 3× time, ≤ 0.25 memory")
    compare(f"window {task}: ours band vs ours masked dense", ("ours", f"window/{task}"), ("ours", f"window-dense/{task}"))
for task in ("fwd", "train"):
    compare(f"moe {task}: ours routed vs ours dense experts", ("ours", f"moe/{task}"), ("ours", f"moe-dense/{task}"), "≥ 2.5× time")
    compare(f"moe {task}: ours routed vs PyTorch dense experts", ("ours", f"moe/{task}"), ("pytorch", f"moe-dense/{task}"))
    compare(f"moe {task}: ours routed vs PyTorch routed loop", ("ours", f"moe/{task}"), ("pytorch", f"moe-routed/{task}"))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
header = (f"## {datetime.date.today().isoformat()}, commit {commit}{' (uncommitted changes)' if dirty else ''}\n\n"
          f"benchmarks/foundation.sh, {rounds} rounds, one thread each, 1-minute load {load_start} → {load_end}, {elapsed} s.\n"
          "Times are medians of the thread's CPU ms per call (fast / slow); ratios slow/fast (above 1: the fast path wins), "
          "CPU time and wall time; memory is the peak RSS a case added (MB, fast / slow) and its ratio fast/slow.\n\n"
          "| comparison | CPU ms | CPU ratio | wall ratio | peak MB | memory ratio | target |\n|---|---|---|---|---|---|---|\n")
table = header + "\n".join(rows) + "\n"
print()
print(table)
if not no_record:
    with open("benchmarks/FOUNDATION-RESULTS.md", "a") as stream:
        stream.write("\n" + table)
PY
