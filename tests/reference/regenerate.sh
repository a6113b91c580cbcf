#!/usr/bin/env bash
# Rewrites every reference data file under tests/reference/data/ by running the generators listed
# below with Debian's /usr/bin/python3 (the interpreter that has torch). Stops at the first failure.
# Each generator is deterministic: running this twice leaves `git status` clean.
#
# Add a new generator to SCRIPTS (one line each); keep the list in the order the files were added.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=/usr/bin/python3
SCRIPTS=(
  make_safetensors_fixture.py
  make_models.py
)

for script in "${SCRIPTS[@]}"; do
  echo "== $script"
  "$PYTHON" "$script"
done
echo "regenerated ${#SCRIPTS[@]} reference data set(s)"
