#!/usr/bin/env bash
# Per-op overhead of small ops (4x4 add and matmul): Liquid.Runtime from C# versus PyTorch from
# Python on the same libtorch, alternated round by round so both see the same machine state.
# Prints medians and ratios (ours / PyTorch; below 1 means we are faster) and appends a dated row
# to benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" source scripts/bootstrap.sh

rounds="${ROUNDS:-7}"
iterations="${ITERATIONS:-200000}"
ours=()
theirs=()
for ((round = 1; round <= rounds; round++)); do
  ours+=("$(dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll per-op "$iterations")")
  theirs+=("$(/usr/bin/python3 benchmarks/pytorch/per_op.py per-op "$iterations")")
  echo "round $round: ours ${ours[-1]}  pytorch ${theirs[-1]}"
done

python3 - "$rounds" "${ours[@]}" "${theirs[@]}" <<'PY'
import json, statistics, subprocess, sys, datetime, platform
rounds = int(sys.argv[1])
ours = [json.loads(x) for x in sys.argv[2:2 + rounds]]
theirs = [json.loads(x) for x in sys.argv[2 + rounds:]]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
rows = []
for op in ("add", "matmul"):
    a = statistics.median(r[op + "_us"] for r in ours)
    b = statistics.median(r[op + "_us"] for r in theirs)
    rows.append((op, a, b, a / b))
    print(f"{op:7s} ours {a:7.3f} us  pytorch {b:7.3f} us  ratio {a / b:5.2f}")
date = datetime.date.today().isoformat()
with open("benchmarks/README.md", "a") as f:
    for op, a, b, r in rows:
        f.write(f"| {date} | {commit} | {cpu} | 4×4 {op} | {a:.3f} | {b:.3f} | {r:.2f} |\n")
PY
