#!/usr/bin/env bash
# Regenerates every reference data file under tests/reference/data by running each
# tests/reference/make_*.py with Debian's /usr/bin/python3 (the interpreter that has torch).
# Stops at the first script that fails. The scripts are deterministic: running this twice
# leaves `git status` clean.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=/usr/bin/python3

if ! "$python" -c "import torch" 2>/dev/null; then
    echo "regenerate.sh: $python cannot import torch (apt-get install python3-torch)" >&2
    exit 1
fi

shopt -s nullglob
scripts=("$here"/make_*.py)
if [ ${#scripts[@]} -eq 0 ]; then
    echo "regenerate.sh: no make_*.py in $here" >&2
    exit 1
fi

for script in "${scripts[@]}"; do
    echo "== $(basename "$script")"
    "$python" "$script"
done
