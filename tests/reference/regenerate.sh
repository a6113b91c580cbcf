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
# Generators are named make_*.py; any other script that runs as a program would be silently skipped.
for script in "$here"/*.py; do
    name="$(basename "$script")"
    case "$name" in make_*.py | safetensors_io.py) continue ;; esac
    if grep -q '^if __name__ == "__main__":' "$script"; then
        echo "regenerate.sh: $name runs as a program but is not named make_*.py" >&2
        exit 1
    fi
done

scripts=("$here"/make_*.py)
if [ ${#scripts[@]} -eq 0 ]; then
    echo "regenerate.sh: no make_*.py in $here" >&2
    exit 1
fi

for script in "${scripts[@]}"; do
    echo "== $(basename "$script")"
    "$python" "$script"
done
