"""PyTorch side of benchmarks/ode.sh: dopri5 forward+backward on an MLP vector field, directly and
by the adjoint, with the plain-PyTorch odeint of tests/reference/odeint_ref.py (torchdiffeq's
algorithm written from LIQUID-SEMANTICS.md 6.4). Same workload, seeds and timing as
Liquid.Benchmarks' `ode` mode; prints one JSON line per case.

    /usr/bin/python3 benchmarks/pytorch/ode.py direct|adjoint|floor [SECONDS]

Mode floor times only the vector field: as many evaluations as the direct solve makes, chained by
Euler updates, forward and backward, which no solver can undercut.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "reference"))
from compare import set_threads, timed  # noqa: E402
import odeint_ref  # noqa: E402

BATCH, DIM, HIDDEN = 256, 64, 64
RTOL, ATOL = 1e-5, 1e-7


def workload():
    """y0 [256, 64] and f(t, y) = W2 tanh(W1 y + b1) + b2, drawn in this order from seed 0 (as the C# side)."""
    torch.manual_seed(0)
    w1 = (torch.randn(HIDDEN, DIM) / DIM**0.5).requires_grad_()
    b1 = (torch.randn(HIDDEN) * 0.1).requires_grad_()
    w2 = (torch.randn(DIM, HIDDEN) / HIDDEN**0.5).requires_grad_()
    b2 = (torch.randn(DIM) * 0.1).requires_grad_()
    y0 = torch.randn(BATCH, DIM)
    params = [w1, b1, w2, b2]
    return (lambda t, y: F.linear(torch.tanh(F.linear(y, w1, b1)), w2, b2)), params, y0


def main():
    mode = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    set_threads(1)
    func, params, y0 = workload()
    t = torch.tensor([0.0, 1.0])
    counts = {}

    def step():
        forward, backward = odeint_ref.Stats(), odeint_ref.Stats()
        if mode == "direct":
            ys = odeint_ref.odeint(func, y0, t, rtol=RTOL, atol=ATOL, stats=forward)
        else:
            ys = odeint_ref.odeint_adjoint(func, y0, t, params, rtol=RTOL, atol=ATOL, forward_stats=forward,
                                           backward_stats=backward)
        loss = ys[-1].pow(2).mean()
        loss.backward()
        for p in params:
            p.grad = None
        counts.update(nfe_forward=forward.nfe, nfe_backward=backward.nfe, steps=forward.accepted + forward.rejected)

    def floor():
        y = y0
        time0 = torch.tensor(0.0)
        for _ in range(counts["nfe_forward"]):
            y = y + func(time0, y) * 0.01
        y.pow(2).mean().backward()
        for p in params:
            p.grad = None

    if mode == "floor":
        mode = "direct"
        step()  # the direct solve's NFE
        mode = "floor"
    wall, cpu, calls = timed(floor if mode == "floor" else step, warm=0.3, measure=seconds)
    print(json.dumps({"case": f"dopri5-{mode}", "ms": round(wall, 3), "cpu_ms": round(cpu, 3),
                      "calls": calls, **counts}))


if __name__ == "__main__":
    main()
