#!/usr/bin/env bash
# dopri5 forward+backward on an MLP vector field (state 64, 64 hidden units, batch 256, float32,
# rtol 1e-5, atol 1e-7, t ∈ [0, 1]): our native solver (Liquid.Benchmarks `ode`) against the same
# algorithm in plain PyTorch (tests/reference/odeint_ref.py, via benchmarks/pytorch/ode.py), by
# backpropagation through the steps and by the adjoint, plus each side's "floor" (the vector
# field's evaluations alone, forward and backward). One intra-op thread on both sides, OpenBLAS
# included. Sides alternate case by case, the order flipping every round; medians over rounds,
# ratios as speed (PyTorch time / ours: above 1 means we are faster) in wall and thread-CPU time.
# Both sides must report the same NFE (the same steps), or the script stops.
#
#   ROUNDS=5              rounds
#   SECONDS_PER_CASE=1.5  measured seconds per case and side in each round
#   WAIT_QUIET_MINUTES=0  first wait (checking every 60 s, at most this long) for a load below 1.0
#   RECORD=1              append the table to benchmarks/RESULTS.md (refused unless the 1-minute
#                         load average was below 1.0 at the start: the machine is shared)
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" LIQUID_BUILD_PROJECT="benchmarks/Liquid.Benchmarks/Liquid.Benchmarks.csproj" \
  source scripts/bootstrap.sh

rounds="${ROUNDS:-5}"
seconds="${SECONDS_PER_CASE:-1.5}"
load() { cut -d' ' -f1 /proc/loadavg; }
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
started=$SECONDS
ours() { dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll ode "$1" "$seconds" | sed 's/^/ours /' | tee -a "$out"; }
theirs() { OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/pytorch/ode.py "$1" "$seconds" | sed 's/^/pytorch /' | tee -a "$out"; }
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round/$rounds (load $(load), ${SECONDS}s)"
  for c in direct adjoint floor; do
    if (( round % 2 )); then ours "$c"; theirs "$c"; else theirs "$c"; ours "$c"; fi
  done
done
load_end="$(load)"

/usr/bin/python3 - "$out" "$rounds" "$load_start" "$load_end" "$((SECONDS - started))" "${RECORD:-0}" <<'PY'
import datetime, json, statistics, subprocess, sys
path, rounds, load_start, load_end, took, record = sys.argv[1:]
runs = {}
for line in open(path):
    side, payload = line.split(" ", 1)
    r = json.loads(payload)
    runs.setdefault((r["case"], side), []).append(r)
cases = [("dopri5-direct", "forward+backward, backprop through the steps"),
         ("dopri5-adjoint", "forward+backward, adjoint"),
         ("dopri5-floor", "the field's evaluations alone, fwd+bwd")]
for case, _ in cases:
    for key in ("nfe_forward", "nfe_backward"):
        values = {r[key] for side in ("ours", "pytorch") for r in runs[(case, side)]}
        if len(values) != 1:
            sys.exit(f"{case}: the sides disagree on {key}: {sorted(values)}")
def med(case, side, key):
    return statistics.median(r[key] for r in runs[(case, side)])
def span(case, key):
    ratios = [t[key] / o[key] for o, t in zip(runs[(case, "ours")], runs[(case, "pytorch")])]
    return min(ratios), max(ratios)
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [f"## {datetime.date.today().isoformat()} · ode.sh · commit {commit}{' + uncommitted changes' if dirty else ''} · {cpu}, 2 cores", "",
         f"{rounds} rounds, 1 intra-op thread (OpenBLAS too) on both sides, medians; load average {load_start} at the start, "
         f"{load_end} at the end; run took {took} s. NFE (forward / backward): "
         + ", ".join(f"{c.split('-')[1]} {runs[(c, 'ours')][0]['nfe_forward']} / {runs[(c, 'ours')][0]['nfe_backward']}" for c, _ in cases[:2]) + ".", "",
         "| case | what | ours ms (CPU ms) | PyTorch ms (CPU ms) | speed-up, wall | speed-up, CPU |",
         "|---|---|---|---|---|---|"]
for case, what in cases:
    o, t = (med(case, "ours", "ms"), med(case, "ours", "cpu_ms")), (med(case, "pytorch", "ms"), med(case, "pytorch", "cpu_ms"))
    lo, hi = span(case, "ms")
    clo, chi = span(case, "cpu_ms")
    lines.append(f"| {case} | {what} | {o[0]:.1f} ({o[1]:.1f}) | {t[0]:.1f} ({t[1]:.1f}) | {t[0] / o[0]:.2f}× [{lo:.2f}–{hi:.2f}] | {t[1] / o[1]:.2f}× [{clo:.2f}–{chi:.2f}] |")
text = "\n".join(lines) + "\n"
print()
print(text)
if record == "1":
    if float(load_start) >= 1.0:
        print(f"not recorded: the load average was {load_start} at the start (a shared machine); RESULTS.md wants a quiet one")
    else:
        with open("benchmarks/RESULTS.md", "a") as f:
            f.write("\n" + text)
        print("appended to benchmarks/RESULTS.md")
PY
