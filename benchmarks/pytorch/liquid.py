"""PyTorch side of benchmarks/liquid.sh: LTC and CfC train steps with the plain PyTorch cells of
tests/reference/liquid_ref.py (ncps's structure: one cell call per time step, one op per term).

    /usr/bin/python3 benchmarks/pytorch/liquid.py [--threads 1] [--seconds 3] [CASE ...]

Cases: ltc (B 16, T 128, 32 inputs, 64 units fully connected, 6 unfolds, softplus constraints) and
cfc (same sizes, default mode, backbone 128 x 1, lecun_tanh). A train step is forward over the
whole sequence, MSE against a fixed target on every output, backward, Adam step (lr 1e-3) and
zero_grad. Prints one JSON line per case: {"case", "side", "ms", "cpu_ms", "calls"}.
"""
import argparse
import json
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "reference"))
from compare import set_threads, timed  # noqa: E402
from liquid_ref import CfcRef, LtcRef, random_wiring  # noqa: E402

BATCH, STEPS, INPUTS, UNITS = 16, 128, 32, 64


def train_step_case(name):
    torch.manual_seed(0)
    wiring = random_wiring(UNITS, INPUTS, UNITS, torch.Generator().manual_seed(1))
    if name == "ltc":
        model = LtcRef(wiring, ode_unfolds=6)
    elif name == "cfc":
        model = CfcRef(INPUTS, UNITS, backbone_units=128, backbone_layers=1)
    else:
        raise SystemExit(f"unknown case {name}")
    x = torch.randn(BATCH, STEPS, INPUTS)
    target = torch.randn(BATCH, STEPS, UNITS)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        out, _, _ = model(x)
        loss = torch.nn.functional.mse_loss(out, target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("cases", nargs="*", default=["ltc", "cfc"])
    args = parser.parse_args()
    set_threads(args.threads)
    for name in args.cases:
        body = train_step_case(name)
        ms, cpu_ms, calls = timed(body, warm=min(1.0, args.seconds / 3), measure=args.seconds)
        print(json.dumps({"case": name, "side": "pytorch", "ms": round(ms, 3), "cpu_ms": round(cpu_ms, 3),
                          "calls": calls}), flush=True)


if __name__ == "__main__":
    main()
