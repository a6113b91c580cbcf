"""Write the learning-rate schedule reference that tests/Liquid.Runtime.Tests/Nn/ScheduleTests.cs reads.

Output: tests/reference/data/schedules.json, an object with one entry per case:
  {"scheduler": PyTorch class, "options": {...}, "lrs": [lr_0, lr_1, ...]}
where lr_t is the learning rate the optimizer holds for step t, i.e. after t calls to
scheduler.step() (lr_0 is the rate right after construction). ReduceLROnPlateau is driven by the
fixed "metrics" list instead: lrs[t] is the rate after scheduler.step(metrics[t]).

Floats are written with Python's repr (shortest text that parses back to the same double).

Run from anywhere with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_schedules.py
"""

import json
import math
import os
import warnings

import torch
from torch.optim import lr_scheduler

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "schedules.json")
STEPS = 60


def optimizer(lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def run(make, lr, steps=STEPS):
    """The lr of steps 0..steps-1 under the scheduler make(optimizer) builds."""
    opt = optimizer(lr)
    scheduler = make(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return rates


def plateau_metrics():
    """A validation curve: improves, stalls (with improvements below the 1e-4 threshold), improves
    again, then stalls long enough to reach min_lr."""
    metrics = []
    value = 2.0
    for t in range(STEPS):
        if t < 8:
            value *= 0.9  # clear improvements
        elif t < 20:
            value *= 1 - 2e-5  # better, but not by the relative threshold: counts as bad
        elif t < 24:
            value *= 0.95
        elif t < 30:
            value = value * 1.01 if t % 2 == 0 else value / 1.02  # noisy, mostly flat
        else:
            value *= 1.001  # slowly worse
        metrics.append(value)
    return metrics


def main():
    warnings.simplefilter("ignore")  # scheduler deprecation chatter is not part of the reference
    cases = {}

    cases["constant"] = {
        "scheduler": "ConstantLR",
        "options": {"lr": 0.1, "factor": 1.0, "total_iters": 5},
        "lrs": run(lambda o: lr_scheduler.ConstantLR(o, factor=1.0, total_iters=5), 0.1),
    }
    cases["linear"] = {
        "scheduler": "LinearLR",
        "options": {"lr": 0.1, "start_factor": 0.05, "total_iters": 25},
        "lrs": run(lambda o: lr_scheduler.LinearLR(o, start_factor=0.05, end_factor=1.0, total_iters=25), 0.1),
    }
    # PyTorch's CosineAnnealingLR is periodic (the rate climbs back after T_max); the runtime's
    # CosineSchedule holds eta_min instead. T_max < STEPS keeps that difference in the data.
    cases["cosine"] = {
        "scheduler": "CosineAnnealingLR",
        "options": {"lr": 0.1, "T_max": 45, "eta_min": 0.002},
        "lrs": run(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=45, eta_min=0.002), 0.1),
    }
    warmup, total = 10, STEPS
    cases["warmup_cosine"] = {
        "scheduler": "SequentialLR([LinearLR, CosineAnnealingLR])",
        "options": {"lr": 6e-4, "start_factor": 0.01, "warmup": warmup, "total": total, "eta_min": 6e-5},
        "lrs": run(
            lambda o: lr_scheduler.SequentialLR(
                o,
                [
                    lr_scheduler.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=warmup),
                    lr_scheduler.CosineAnnealingLR(o, T_max=total - warmup, eta_min=6e-5),
                ],
                milestones=[warmup],
            ),
            6e-4,
        ),
    }
    cases["warm_restarts"] = {
        "scheduler": "CosineAnnealingWarmRestarts",
        "options": {"lr": 0.1, "T_0": 5, "T_mult": 2, "eta_min": 0.001},
        "lrs": run(lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001), 0.1),
    }
    cases["warm_restarts_fixed"] = {
        "scheduler": "CosineAnnealingWarmRestarts",
        "options": {"lr": 0.05, "T_0": 7, "T_mult": 1, "eta_min": 0.0},
        "lrs": run(lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=1, eta_min=0.0), 0.05),
    }
    cases["step"] = {
        "scheduler": "StepLR",
        "options": {"lr": 0.1, "step_size": 7, "gamma": 0.5},
        "lrs": run(lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5), 0.1),
    }

    metrics = plateau_metrics()
    plateau_options = {"lr": 0.1, "factor": 0.5, "patience": 3, "min_lr": 0.004, "cooldown": 2, "threshold": 1e-4, "eps": 1e-8}
    opt = optimizer(plateau_options["lr"])
    plateau = lr_scheduler.ReduceLROnPlateau(
        opt, mode="min", factor=0.5, patience=3, threshold=1e-4, threshold_mode="rel", cooldown=2, min_lr=0.004, eps=1e-8
    )
    rates = []
    for metric in metrics:
        opt.step()
        plateau.step(metric)
        rates.append(opt.param_groups[0]["lr"])
    assert rates[-1] == 0.004, rates  # the curve is long enough to reach min_lr
    cases["plateau"] = {
        "scheduler": "ReduceLROnPlateau",
        "options": plateau_options,
        "metrics": metrics,
        "lrs": rates,
    }

    for name, case in cases.items():
        assert all(isinstance(x, float) and math.isfinite(x) for x in case["lrs"]), name

    document = {"producer": f"make_schedules.py, torch {torch.__version__}", "steps": STEPS, "cases": cases}
    os.makedirs(DATA_DIR, exist_ok=True)
    temp = OUTPUT + ".tmp"
    with open(temp, "w", encoding="utf-8", newline="\n") as stream:
        json.dump(document, stream, indent=1, sort_keys=True)
        stream.write("\n")
    os.replace(temp, OUTPUT)
    print(f"wrote {OUTPUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
