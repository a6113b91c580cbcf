#!/usr/bin/env bash
# liquid-long at its default configuration (embedding 512, latent 128, hidden 256, GPT-2's 50,257-token
# vocabulary, chunks of 4096), batch 1, float32, one thread, inference mode (issue 12's benchmark):
#   - the forward pass over 4k, 8k, 16k and 32k tokens, fed in calls of 4096 with the state carried
#     and each call's logits dropped: tokens/s and the process's peak resident memory (VmHWM);
#   - the per-token latency of generation (one-token calls with the state carried) at positions 100
#     and 30,000, and of the token at position 4095, which completes a chunk and so also runs the
#     asynchronous cell's attention over it and a cell step.
# Every measurement is its own process (benchmarks/Liquid.Benchmarks, LongSequence.cs). The summary
# takes medians over the rounds and appends a dated table, beside the seed's published figures (GPU,
# not reproduced by its code), to benchmarks/RESULTS.md.
#
#   ROUNDS=3            rounds
#   NO_RECORD=1         print the summary without appending to RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_BUILD_PROJECT="benchmarks/Liquid.Benchmarks/Liquid.Benchmarks.csproj" source scripts/bootstrap.sh

rounds="${ROUNDS:-3}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
bench() { dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll long "$@" | tee -a "$out"; }

load_start="$(load)"
started=$SECONDS
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round/$rounds (load $(load), ${SECONDS}s)"
  for tokens in 4096 8192 16384 32768; do bench forward --tokens "$tokens"; done
  for position in 100 30000; do bench generate --position "$position" --tokens 64; done
  bench generate --position 4095 --tokens 1
done

/usr/bin/python3 - "$out" "$rounds" "$load_start" "$(load)" "$((SECONDS - started))" "${NO_RECORD:-}" <<'PY'
import datetime, json, statistics, subprocess, sys
path, rounds, load_start, load_end, elapsed, no_record = sys.argv[1:7]
forward, generate = {}, {}
for line in open(path):
    if line.startswith("{"):
        r = json.loads(line)
        if r["case"] == "forward":
            forward.setdefault(r["tokens"], []).append(r)
        else:
            generate.setdefault(r["position"], []).append(r)
tps = {n: statistics.median(r["tokens_per_s"] for r in runs) for n, runs in forward.items()}
rss = {n: max(r["peak_rss_mb"] for r in runs) for n, runs in forward.items()}
latency = {p: statistics.median(r["median_ms"] for r in runs) for p, runs in generate.items()}
seed = {4096: ("2.5 GB", "20,000"), 32768: ("14.5 GB", "15,000")}
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
lines = [f"## {datetime.date.today().isoformat()} · liquid-long forward and generation (issue 12) · commit {commit}{' + uncommitted changes' if dirty else ''} · {cpu}\n",
         f"`benchmarks/long.sh`, {rounds} rounds, one thread, float32, batch 1, 1-minute load {load_start} → {load_end}, {elapsed} s. "
         "The forward pass is fed in calls of 4096 tokens with the state carried and each call's logits dropped; peak RSS is the "
         "whole process's (the model's 39.7 M parameters, the runtime and one call's 4096 × 50,257 logits, 823 MB, included). "
         "The seed's figures are its authors' table (a GPU, not reproduced by their code).\n",
         "| tokens | ours tokens/s | ours peak RSS | seed tokens/s | seed memory |", "|---|---|---|---|---|"]
for n in sorted(tps):
    s = seed.get(n, ("—", "—"))
    lines.append(f"| {n:,} | {tps[n]:,.0f} | {rss[n] / 1024:.2f} GB | {s[1]} | {s[0]} |")
ratio = tps[32768] / tps[4096]
late = latency[30000] / latency[100]
lines += ["", "| check | value | target | met |", "|---|---|---|---|",
          f"| peak RSS at 32k | {rss[32768] / 1024:.2f} GB | ≤ 4 GB | {'yes' if rss[32768] <= 4096 else 'no'} |",
          f"| tokens/s at 32k ÷ at 4k | {ratio:.2f} | ≥ 0.8 | {'yes' if ratio >= 0.8 else 'no'} |",
          f"| generation ms/token at position 30,000 ÷ at 100 | {latency[30000]:.2f} / {latency[100]:.2f} = {late:.2f} | ≤ 1.2 | {'yes' if late <= 1.2 else 'no'} |",
          "", f"The token at position 4095, which completes the first chunk (attention over its 4096 positions and a cell step), took {latency[4095]:.2f} ms "
          f"({latency[4095] / latency[100]:.1f}× an ordinary token); one in every 4096 tokens pays it.\n"]
table = "\n".join(lines)
print()
print(table)
if not no_record:
    with open("benchmarks/RESULTS.md", "a") as stream:
        stream.write("\n" + table)
PY
