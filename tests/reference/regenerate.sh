#!/usr/bin/env bash
# Regenerates every reference data file under tests/reference/data/ with Debian's python3-torch.
#
# The generators are listed explicitly below, in the order they run. A generator is a script in
# this directory that writes data when run as a program (it has an `if __name__ == "__main__":`
# block); helper modules such as safetensors_io.py are imported by the generators and are not
# listed. When you add a generator, add it here; the check at the end fails if a script with a
# main block is neither listed nor named as a helper, so a forgotten one cannot go unnoticed.
#
# Usage: tests/reference/regenerate.sh        (from anywhere; exits non-zero on the first failure)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# /usr/bin/python3 is the interpreter with torch; a python3 earlier on PATH may not have it.
python="${LIQUID_REFERENCE_PYTHON:-/usr/bin/python3}"

generators=(
  make_safetensors_fixture.py
  runtime_ops.py
)
# Modules with a main block that only inspect files (not generators).
helpers=(
  safetensors_io.py
)

for script in "$here"/*.py; do
  name="$(basename "$script")"
  grep -q '^if __name__ == "__main__":' "$script" || continue
  if [[ " ${generators[*]} ${helpers[*]} " != *" $name "* ]]; then
    echo "regenerate.sh: $name has a main block but is not listed as a generator or helper" >&2
    exit 1
  fi
done

"$python" -c 'import torch' || { echo "regenerate.sh: $python cannot import torch" >&2; exit 1; }

for name in "${generators[@]}"; do
  echo "== $name"
  "$python" "$here/$name"
done
echo "regenerated ${#generators[@]} reference file set(s)"
