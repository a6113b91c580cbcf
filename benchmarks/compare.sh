#!/usr/bin/env bash
# Side-by-side comparison of Liquid (C#, `Liquid.Benchmarks compare`) with PyTorch eager and
# TorchScript (benchmarks/pytorch/compare.py) on the same libtorch, the same shapes and one
# intra-op thread on both sides. Our side and PyTorch's alternate round by round (the order flips
# every round), each side running every case in one process per round; the summary takes medians
# over rounds, prints ratios as throughput (ours / PyTorch: above 1 means we are faster), measures
# the machine's sgemm peak in the same run and appends a dated table to benchmarks/RESULTS.md.
#
#   ROUNDS=5              rounds (at least 5 for recorded results)
#   THREADS=1             intra-op threads, both sides
#   WAIT_QUIET_MINUTES=0  first wait (checking every 60 s, at most this long) for a 1-minute load
#                         average below 1.0; the load is recorded either way
#   NO_RECORD=1           print the summary without appending to RESULTS.md
#   CASES="..."           override the case list (see benchmarks/README.md for the names)
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" LIQUID_BUILD_PROJECT="benchmarks/Liquid.Benchmarks/Liquid.Benchmarks.csproj" \
  source scripts/bootstrap.sh

rounds="${ROUNDS:-5}"
threads="${THREADS:-1}"
# Every case runs on our side and PyTorch eager; the TorchScript side runs the train step it is a
# target for and the small-model cases, where scripting saves Python overhead.
# (The layer cases here are a sample; the BenchmarkDotNet suites cover every layer in depth.)
# shellcheck disable=SC2206
cases=(${CASES:-sgemm-2048
  gpt2-spanish/train gpt2-spanish/forward gpt2-spanish/generate gpt2-spanish/adamw
  tiny-gpt-d64@2x32/train tiny-gpt-d64@2x32/forward tiny-gpt-d64/train tiny-gpt-d64/adamw
  tiny-gpt/generate
  linear-d512-fwd mlp-d512-fwd mlp-d512 attention-d512 attention-d512-gqa attention-d64 mlp-d64})
script_cases=()
for c in "${cases[@]}"; do
  case "$c" in
    gpt2-spanish/train | tiny-gpt-d64@2x32/* | tiny-gpt/generate) script_cases+=("$c") ;;
  esac
done

load() { cut -d' ' -f1 /proc/loadavg; }
# CPU time the hypervisor gave to other guests ("steal"), as a share of all CPU time since $1.
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9 }' /proc/stat; }
steal_since() { read -r total steal <<<"$(cpu_ticks)"; awk -v t="$total" -v s="$steal" -v t0="$1" -v s0="$2" 'BEGIN { printf "%.1f%%", (t > t0) ? 100 * (s - s0) / (t - t0) : 0 }'; }
if (( ${WAIT_QUIET_MINUTES:-0} > 0 )); then
  for ((waited = 0; waited < WAIT_QUIET_MINUTES; waited++)); do
    awk -v l="$(load)" 'BEGIN { exit !(l < 1.0) }' && break
    echo "load average $(load): waiting for a quiet machine ($waited/$WAIT_QUIET_MINUTES min)"
    sleep 60
  done
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
load_start="$(load)"
read -r ticks0 steal0 <<<"$(cpu_ticks)"
started=$SECONDS
ours() { dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll compare --threads "$threads" "${cases[@]}" | tee -a "$out"; }
eager() { /usr/bin/python3 benchmarks/pytorch/compare.py --mode eager --threads "$threads" "${cases[@]}" | tee -a "$out"; }
script() { [[ ${#script_cases[@]} -eq 0 ]] || /usr/bin/python3 benchmarks/pytorch/compare.py --mode script --threads "$threads" "${script_cases[@]}" | tee -a "$out"; }
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round/$rounds (load $(load), ${SECONDS}s)"
  if (( round % 2 )); then ours; eager; script; else script; eager; ours; fi
done
load_end="$(load)"
steal="$(steal_since "$ticks0" "$steal0")"

python3 benchmarks/summarize.py "$out" --rounds "$rounds" --threads "$threads" --load "$load_start" "$load_end" \
  --steal "$steal" --seconds "$((SECONDS - started))" ${NO_RECORD:+--no-record}
