#!/usr/bin/env bash
# The slow version of KillResumeTests: kill -9 a short `liquid train` at random moments (during
# start-up, steps, evaluations and checkpoint saves) KILLS times, resuming after each kill, then
# let it finish, and check that
#   - after every kill the run folder holds a checkpoint that every loading command accepts
#     (`liquid eval` runs on it), or none yet when the kill came before the first save;
#   - metrics.jsonl is valid JSON lines after every resume;
#   - the final weights are byte-for-byte those of an uninterrupted run with the same settings.
#
#   scripts/kill-soak.sh [KILLS=50] [STEPS=6000]   (about 3 s per kill, plus two full runs, on two busy cores)
#
# Exits 0 and prints "kill-soak: N kills, weights identical" on success.
set -euo pipefail
set -m # background jobs keep SIGINT/SIGTERM at their default (no job control would ignore them)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kills="${1:-50}"
steps="${2:-6000}"
app="$root/harness/Liquid.Harness/bin/Release/net10.0/liquid.dll"
[[ -f "$app" ]] || { echo "kill-soak: build first (dotnet build Liquid.Compiler.sln -c Release)" >&2; exit 2; }

work="$(mktemp -d /tmp/liquid-kill-soak-XXXXXX)"
trap 'rm -rf "$work"' EXIT
export LIQUID_CACHE="$work/cache"
for i in $(seq 0 399); do echo "line $((i % 17)): the quick brown fox jumps over the lazy dog $((i % 5))."; done > "$work/corpus.txt"
settings=(train tiny-gpt --set d_model=32 --set layers=1 --set heads=2 --set context=32 --set dropout=0.1
  --tokenizer byte --context 16 --batch 4 --threads 1 --sample-prompt "" --data "$work/corpus.txt"
  --steps "$steps" --checkpoint-every 3 --eval-every 20 --seed 11)

liquid() { dotnet "$app" "$@"; }
valid_metrics() { /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1/metrics.jsonl"; }

echo "kill-soak: uninterrupted run of $steps steps"
liquid "${settings[@]}" --out "$work/straight" > "$work/straight.log"

run="$work/killed"
for ((k = 1; k <= kills; k++)); do
  # dotnet itself in the background (not the liquid function, whose subshell kill -9 would hit).
  if [[ -f "$run/latest/checkpoint.json" ]] || ls -d "$run"/.latest.* > /dev/null 2>&1; then
    dotnet "$app" train --resume "$run" --sample-prompt "" > "$work/attempt.log" 2>&1 &
  else
    dotnet "$app" "${settings[@]}" --out "$run" > "$work/attempt.log" 2>&1 &
  fi
  pid=$!
  sleep "$(/usr/bin/python3 -c 'import random; print(random.uniform(0.3, 4.0))')"
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  if liquid eval "$run" --max-tokens 64 --json > "$work/eval.log" 2>&1; then
    valid_metrics "$run"
    reached="$(grep -o '"step": [0-9]*' "$run/latest/checkpoint.json" | grep -o '[0-9]*$')"
    echo "kill-soak: kill $k: checkpoint at step $reached"
    if [[ "$reached" == "$steps" ]]; then echo "kill-soak: the run finished before kill $k; pass more STEPS for more kills"; kills=$k; break; fi
  elif grep -q "is not a checkpoint\|does not exist" "$work/eval.log"; then
    echo "kill-soak: kill $k: before the first save"
  else
    echo "kill-soak: kill $k: the checkpoint does not load:" >&2
    cat "$work/eval.log" >&2
    exit 1
  fi
done

liquid train --resume "$run" --sample-prompt "" > "$work/final.log"
valid_metrics "$run"
cmp "$work/straight/latest/weights.safetensors" "$run/latest/weights.safetensors"
echo "kill-soak: $kills kills, weights identical"
