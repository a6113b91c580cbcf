#!/usr/bin/env bash
# 1 versus 2 intra-op threads on this machine: a 1024² matmul (GFLOP/s) and a loop of small ops
# (µs per iteration), for our runtime and PyTorch, alternated. The runtime's default thread count
# (Torch.DefaultThreads) was chosen from these numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
LIQUID_EXTRA_PACKAGES="python3-torch" source scripts/bootstrap.sh
for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
  for threads in 1 2; do
    echo "ours    $(dotnet benchmarks/Liquid.Benchmarks/bin/Release/net10.0/Liquid.Benchmarks.dll threads "$threads")"
    echo "pytorch $(/usr/bin/python3 benchmarks/pytorch/per_op.py threads "$threads")"
  done
done
