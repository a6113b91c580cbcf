"""Write the ODE-solver reference data that tests/Liquid.Runtime.Tests/Ode/OdeReferenceTests.cs reads.

Output: tests/reference/data/ode.safetensors. For a case named NAME the file holds

  NAME.param.P        the vector field's parameters (linear: A; mlp: W1, b1, c, W2, b2);
  NAME.y0, NAME.t     the initial state [B, D] and the output times (in the case's time dtype);
  NAME.solution       odeint's result, [len(t), B, D];
  NAME.stats          int64 [nfe, accepted, rejected] of the forward solve;
  NAME.steps          float64 [steps, 4]: (t0, dt, accepted, error ratio) of every attempted step,
                      in the solver's own time (negated for a decreasing t);
  NAME.steps_sequential
                      for float64 dopri5 cases: the same with stage sums taken in stage order
                      (odeint_ref's summation="sequential", the native solver's order);
  NAME.projection     a fixed random W; the loss is L = sum(solution * W);
  NAME.grad.y0, NAME.grad.param.P
                      dL/dy0 and dL/dP, by direct backpropagation through odeint_ref.odeint or,
                      for adjoint cases, by odeint_ref.odeint_adjoint;
  NAME.backward_stats int64 [nfe, accepted, rejected] summed over the adjoint's reverse solves;
  NAME.exact          for linear fields: y0 · expm(A (t - t0))ᵀ from scipy.linalg.expm.

The vector fields, written the same way on the C# side (tests/Liquid.Runtime.Tests/Ode/TestFields.cs):
  linear: f(t, y) = y Aᵀ
  mlp:    f(t, y) = tanh(y W1ᵀ + b1 + t c) W2ᵀ + b2

The safetensors __metadata__ maps each case name to a JSON object {"field", "method", "dtype",
"time_dtype", "rtol", "atol", "options", "adjoint"} from which the C# test builds the same solve;
"format" names this layout. The solver is odeint_ref.py, written from LIQUID-SEMANTICS.md 6.4.

Each case is seeded from its own name, so adding a case leaves the others' bytes unchanged; running
the script twice gives byte-identical output.

Run from anywhere with /usr/bin/python3 (the interpreter that has torch and scipy):
    /usr/bin/python3 tests/reference/make_ode.py
"""

import json
import os
import sys
import zlib

import scipy.linalg
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import odeint_ref  # noqa: E402  (imported after the path is set)
import safetensors_io  # noqa: E402

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "ode.safetensors")
FORMAT = "liquid-ode-reference-v1"

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def linear_field(params):
    a = params["A"]
    return lambda t, y: y @ a.T


def mlp_field(params):
    w1, b1, c, w2, b2 = (params[k] for k in ("W1", "b1", "c", "W2", "b2"))
    return lambda t, y: torch.tanh(y @ w1.T + b1 + t * c) @ w2.T + b2


def mlp_params(generator, dim, hidden, dtype):
    def draw(*shape, scale=1.0):
        return (torch.randn(*shape, generator=generator, dtype=torch.float64) * scale).to(dtype)

    return {
        "W1": draw(hidden, dim, scale=1.0),
        "b1": draw(hidden, scale=0.5),
        "c": draw(hidden, scale=1.0),
        "W2": draw(dim, hidden, scale=0.6),
        "b2": draw(dim, scale=0.3),
    }


# name -> description. "A" gives a linear field's matrix (or "random:N"), "t" the output times.
CASES = {
    # Closed forms (the C# test also checks decay and rotation against exp, cos and sin).
    "linear_decay_dopri5": dict(field="linear", A=[[-0.7]], y0=[[1.0], [2.0]], t=[0.0, 0.5, 1.0, 2.0],
                                method="dopri5", rtol=1e-10, atol=1e-12),
    "linear_rotation_dopri5": dict(field="linear", A=[[0.0, -2.0], [2.0, 0.0]], y0=[[1.0, 0.0], [0.5, -1.0]],
                                   t=[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0], method="dopri5", rtol=1e-10, atol=1e-12),
    "linear_general_dopri5": dict(field="linear", A="random:4", y0="random:3", t=[0.0, 0.7, 1.5],
                                  method="dopri5", rtol=1e-9, atol=1e-11),
    "linear_general_rk4": dict(field="linear", A="random:4", y0="random:3", t=[0.0, 0.7, 1.5],
                               method="rk4", options={"step_size": 0.01}),
    # The torchdiffeq algorithm on a nonlinear, time-dependent field.
    "mlp_dopri5": dict(field="mlp", t=[0.0, 0.3, 1.1, 2.0], method="dopri5", rtol=1e-6, atol=1e-8),
    "mlp_dopri5_reversed": dict(field="mlp", t=[2.0, 1.2, 0.0], method="dopri5", rtol=1e-6, atol=1e-8),
    "mlp_dopri5_f32": dict(field="mlp", dtype="float32", time_dtype="float32", t=[0.0, 0.3, 1.1, 2.0],
                           method="dopri5", rtol=1e-5, atol=1e-7),
    "mlp_dopri5_limits": dict(field="mlp", t=[0.0, 1.0], method="dopri5", rtol=1e-9, atol=1e-11,
                              options={"first_step": 0.5, "max_step": 0.2, "min_step": 0.05}),
    "mlp_dopri5_first_step": dict(field="mlp", t=[0.5, 0.9, 1.3], method="dopri5", rtol=1e-7, atol=1e-9,
                                  options={"first_step": 0.01}),
    "mlp_euler_grid": dict(field="mlp", t=[0.0, 0.25, 0.5, 1.0], method="euler"),
    "mlp_midpoint_step": dict(field="mlp", t=[0.0, 0.5, 1.0, 1.7], method="midpoint", options={"step_size": 0.3}),
    "mlp_rk4_step": dict(field="mlp", t=[0.0, 0.4, 1.0], method="rk4", options={"step_size": 0.15}),
    "mlp_rk4_step_reversed": dict(field="mlp", t=[1.0, 0.2, -0.5], method="rk4", options={"step_size": 0.15}),
    "mlp_rk4_f32": dict(field="mlp", dtype="float32", time_dtype="float32", t=[0.0, 0.35, 1.0], method="rk4",
                        options={"step_size": 0.1}),
    "mlp_euler_f32_mixed_time": dict(field="mlp", dtype="float32", time_dtype="float64", t=[0.0, 0.35, 1.0],
                                     method="euler", options={"step_size": 0.1}),
    # The adjoint: gradients and the reverse solves' statistics.
    "mlp_dopri5_adjoint": dict(field="mlp", t=[0.0, 0.3, 1.1, 2.0], method="dopri5", rtol=1e-6, atol=1e-8,
                               adjoint={}),
    "mlp_dopri5_adjoint_seminorm": dict(field="mlp", t=[0.0, 0.3, 1.1, 2.0], method="dopri5", rtol=1e-6,
                                        atol=1e-8, adjoint={"seminorm": True}),
    "mlp_dopri5_adjoint_tolerances": dict(field="mlp", t=[1.5, 0.5, 0.0], method="dopri5", rtol=1e-6,
                                          atol=1e-8, adjoint={"rtol": 1e-8, "atol": 1e-10}),
    "mlp_rk4_adjoint": dict(field="mlp", t=[0.0, 0.4, 1.0], method="rk4", options={"step_size": 0.15},
                            adjoint={}),
    "mlp_dopri5_adjoint_f32": dict(field="mlp", dtype="float32", time_dtype="float32", t=[0.0, 1.0],
                                   method="dopri5", rtol=1e-5, atol=1e-7, adjoint={}),
}

BATCH, DIM, HIDDEN = 3, 4, 8


def build_case(name, spec):
    generator = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    dtype = DTYPES[spec.get("dtype", "float64")]
    time_dtype = DTYPES[spec.get("time_dtype", "float64")]
    if spec["field"] == "linear":
        a = spec["A"]
        if isinstance(a, str):
            n = int(a.split(":")[1])
            a = (torch.randn(n, n, generator=generator, dtype=torch.float64) * 0.6).to(dtype)
        else:
            a = torch.tensor(a, dtype=dtype)
        params = {"A": a}
        y0 = spec["y0"]
        if isinstance(y0, str):
            y0 = torch.randn(int(y0.split(":")[1]), a.shape[0], generator=generator, dtype=torch.float64).to(dtype)
        else:
            y0 = torch.tensor(y0, dtype=dtype)
        func = linear_field(params)
    else:
        params = mlp_params(generator, DIM, HIDDEN, dtype)
        y0 = torch.randn(BATCH, DIM, generator=generator, dtype=torch.float64).to(dtype)
        func = mlp_field(params)
    t = torch.tensor(spec["t"], dtype=time_dtype)
    method = spec["method"]
    rtol, atol = spec.get("rtol", 1e-7), spec.get("atol", 1e-9)
    options = dict(spec.get("options", {}))
    adjoint = spec.get("adjoint")

    for p in params.values():
        p.requires_grad_(True)
    y0.requires_grad_(True)
    stats = odeint_ref.Stats()
    backward_stats = odeint_ref.Stats()
    if adjoint is None:
        solution = odeint_ref.odeint(func, y0, t, rtol=rtol, atol=atol, method=method, options=options, stats=stats)
    else:
        solution = odeint_ref.odeint_adjoint(
            func, y0, t, list(params.values()), rtol=rtol, atol=atol, method=method, options=options,
            adjoint_rtol=adjoint.get("rtol"), adjoint_atol=adjoint.get("atol"),
            seminorm=adjoint.get("seminorm", False), forward_stats=stats, backward_stats=backward_stats)
    projection = torch.randn(solution.shape, generator=generator, dtype=torch.float64).to(dtype)
    loss = (solution * projection).sum()
    loss.backward()

    tensors = {
        f"{name}.y0": y0.detach().clone(),
        f"{name}.t": t,
        f"{name}.solution": solution.detach().clone(),
        f"{name}.stats": torch.tensor([stats.nfe, stats.accepted, stats.rejected], dtype=torch.int64),
        f"{name}.steps": torch.tensor([[s[0], s[1], float(s[2]), s[3]] for s in stats.steps], dtype=torch.float64),
        f"{name}.projection": projection,
        f"{name}.grad.y0": y0.grad.detach().clone(),
    }
    for key, p in params.items():
        tensors[f"{name}.param.{key}"] = p.detach().clone()
        tensors[f"{name}.grad.param.{key}"] = p.grad.detach().clone()
    if method == "dopri5" and dtype == torch.float64:
        sequential = odeint_ref.Stats()
        with torch.no_grad():
            odeint_ref.odeint(func, y0, t, rtol=rtol, atol=atol, method=method,
                              options=dict(options, summation="sequential"), stats=sequential)
        tensors[f"{name}.steps_sequential"] = torch.tensor(
            [[s[0], s[1], float(s[2]), s[3]] for s in sequential.steps], dtype=torch.float64)
    if adjoint is not None:
        tensors[f"{name}.backward_stats"] = torch.tensor(
            [backward_stats.nfe, backward_stats.accepted, backward_stats.rejected], dtype=torch.int64)
    if spec["field"] == "linear":
        a64 = params["A"].detach().double().numpy()
        t64 = t.double()
        exact = [y0.detach().double() @ torch.from_numpy(scipy.linalg.expm(a64 * float(ti - t64[0]))).T for ti in t64]
        tensors[f"{name}.exact"] = torch.stack(exact).to(dtype)

    description = {
        "field": spec["field"],
        "method": method,
        "dtype": spec.get("dtype", "float64"),
        "time_dtype": spec.get("time_dtype", "float64"),
        "rtol": rtol,
        "atol": atol,
        "options": options,
        "adjoint": adjoint,
    }
    return tensors, description


def main():
    torch.set_num_threads(1)
    tensors, metadata = {}, {"format": FORMAT}
    for name, spec in CASES.items():
        case_tensors, description = build_case(name, spec)
        tensors.update(case_tensors)
        metadata[name] = json.dumps(description, sort_keys=True)
        stats = case_tensors[f"{name}.stats"].tolist()
        extra = ""
        if f"{name}.backward_stats" in case_tensors:
            extra = f", backward {case_tensors[f'{name}.backward_stats'].tolist()}"
        print(f"{name}: nfe {stats[0]}, accepted {stats[1]}, rejected {stats[2]}{extra}")
    os.makedirs(DATA_DIR, exist_ok=True)
    safetensors_io.save(OUTPUT, tensors, metadata)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
