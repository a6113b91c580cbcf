#!/usr/bin/env bash
# Installs what is missing, builds native + managed code in Release, runs every test project and
# ends with one line: "N passed, N failed" (", N skipped" when any were skipped).
set -euo pipefail
cd "$(dirname "$0")"

# wordnet-base: the METEOR tests read WordNet as `liquid eval` does when it is installed.
LIQUID_EXTRA_PACKAGES="wordnet-base ${LIQUID_EXTRA_PACKAGES:-}" source scripts/bootstrap.sh

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

status=0
dotnet test Liquid.Compiler.sln -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?

# Each test assembly prints "Passed!  - Failed: F, Passed: P, Skipped: S, Total: T ..." (or "Failed!").
read -r failed passed skipped < <(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  awk -F'[:,] +' '{ f += $2; p += $4; s += $6 } END { printf "%d %d %d\n", f, p, s }')

# A crashed or aborted test host prints no summary of its own: never report it as green.
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  echo "dotnet test exited with status $status without reporting a failed test (a test host aborted?)" >&2
  failed=1
fi

summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary+=", $skipped skipped"
echo "$summary"
[[ $failed -eq 0 ]]
