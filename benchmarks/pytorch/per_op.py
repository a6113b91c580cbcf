"""PyTorch side of benchmarks/per-op.sh and threads.sh: same shapes and loops as Liquid.Benchmarks."""
import json
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from compare import set_threads  # noqa: E402  (sizes OpenMP and OpenBLAS, as our runtime does)


def time_per_call(iterations, body):
    for _ in range(max(10, iterations // 10)):
        body()
    start = time.perf_counter()
    for _ in range(iterations):
        body()
    return (time.perf_counter() - start) / iterations * 1e6


def per_op(iterations):
    set_threads(1)
    a = torch.randn(4, 4)
    b = torch.randn(4, 4)
    add = time_per_call(iterations, lambda: torch.add(a, b))
    matmul = time_per_call(iterations, lambda: torch.matmul(a, b))
    print(json.dumps({"add_us": round(add, 3), "matmul_us": round(matmul, 3)}))


def threads(n):
    # torch.set_num_threads sizes OpenMP only; OpenBLAS (the matmul) keeps its own pool, sized to the
    # cores, unless told otherwise. Both follow n here, as Torch.SetThreads does on our side.
    set_threads(n)
    x = torch.randn(1024, 1024)
    y = torch.randn(1024, 1024)
    seconds = time_per_call(20, lambda: torch.matmul(x, y)) / 1e6
    s = torch.randn(64, 64)
    small = time_per_call(20000, lambda: (s * s) + s)
    print(json.dumps({"threads": n, "matmul_gflops": round(2 * 1024 ** 3 / seconds / 1e9, 1), "small_ops_us": round(small, 3)}))


if __name__ == "__main__":
    # Grad mode stays on, as on the C# side; no input requires grad, so autograd records nothing.
    if sys.argv[1] == "per-op":
        per_op(int(sys.argv[2]))
    elif sys.argv[1] == "threads":
        threads(int(sys.argv[2]))
    else:
        sys.exit("usage: per_op.py per-op ITERATIONS | threads N")
