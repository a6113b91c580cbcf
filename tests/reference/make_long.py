"""Write the liquid long-sequence layer references that tests/Liquid.Runtime.Tests/Nn/Long/ reads.

Output: tests/reference/data/long.safetensors (format "liquid-long-reference-v1"), in the layout of
make_foundation.py. For a case named NAME the file holds

  NAME.param.P            every parameter, under the layer's state-dict key P (README.md's keys);
  NAME.input[.X]          the inputs ("" the main one; "timestamps" the async cell's event times
                          [B, T]; "h0" a sequence layer's initial state [B, H]);
  NAME.output[.Y]         the outputs ("" the main one; "log_det", "nll" (a scalar loss) of the
                          coupling and the flow; "h" the final state and "attention" [B, T] of the
                          sequence layers);
  NAME.projection[.Y]     a fixed random W per output (a scalar for a loss); the scalar loss is
                          L = sum over outputs of sum(output * W);
  NAME.grad.input[.X]     dL/d(input) for every floating input;
  NAME.grad.param.P       dL/dP for every parameter;
  NAME.extra.E            facts a test checks beside the outputs: a coupling's inverse applied to
                          its output (extra.inverse, equal to the input), the flow's full
                          D-feature z before truncation (extra.z), and for [B, D] float64 inputs
                          the per-sample log|det| of the autograd Jacobian of y (or z) with respect
                          to x (extra.jacobian_logdet, equal to output.log_det).

The metadata maps each case name to {"kind", "dtype", "options"}; the options use the runtime's
option names in snake_case. Dropout is 0 in every case. Every parameter is drawn N(0, 0.5²), so no
term hides behind a zero (or one) initialization.

Every reference is written here from the equations of
runtime/Liquid.Runtime/Nn/Layers/Long/README.md alone, plainly, in PyTorch; no runtime code is
read or used. Integrations use odeint_ref.py (torchdiffeq's odeint semantics), with time in
float64 and gradients by direct backpropagation through the solver's steps.

Run with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_long.py
"""

import json
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)
from odeint_ref import odeint  # noqa: E402

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "long.safetensors")
FORMAT = "liquid-long-reference-v1"

DTYPES = {"float64": torch.float64, "float32": torch.float32}
EPS = 1e-5  # every LayerNorm's ε (README.md)


def randn(*shape, scale=1.0):
    return torch.randn(shape, dtype=torch.float64) * scale


def perturb(module, scale):
    """Every parameter N(0, scale²): zero-initialized parts (biases, norms) would hide their terms."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(randn(*parameter.shape, scale=scale))


def solve(field, y0, end, solver, step_size, rtol, atol):
    """y(end) of dy/dt = field(y) from y(0) = y0, by odeint_ref's odeint over t = [0, end]."""
    t = torch.tensor([0.0, end], dtype=torch.float64)
    func = lambda _t, y: field(y)  # noqa: E731  (the fields here are autonomous)
    if solver == "dopri5":
        return odeint(func, y0, t, rtol=rtol, atol=atol, method="dopri5")[-1]
    return odeint(func, y0, t, method=solver, options={"step_size": step_size})[-1]


# ---------------------------------------------------------------------------
# AffineCoupling, Flow
# ---------------------------------------------------------------------------


class CouplingNet(nn.Module):
    """Linear(a → hidden) → ReLU → Linear(hidden → b): a coupling's scale or shift network."""

    def __init__(self, inputs, hidden, outputs):
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc2 = nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def split_sizes(dim, parity):
    """(|x₁|, |x₂|): the conditioning and the transformed part's widths, k = ⌊D/2⌋."""
    k = dim // 2
    return (k, dim - k) if parity == 0 else (dim - k, k)


def halves(x, parity):
    """x → (x₁, x₂): parity 0 conditions on x[…, :k] and transforms x[…, k:]; parity 1 the reverse."""
    k = x.shape[-1] // 2
    first, second = x[..., :k], x[..., k:]
    return (first, second) if parity == 0 else (second, first)


def join(y1, y2, parity):
    """(y₁, y₂) back in x's feature order."""
    return torch.cat([y1, y2] if parity == 0 else [y2, y1], dim=-1)


def couple(x, scale, shift, parity):
    """y₁ = x₁, y₂ = x₂·exp(s) + t with s = tanh(scale(x₁)), t = shift(x₁); log_det = Σ s."""
    x1, x2 = halves(x, parity)
    s = torch.tanh(scale(x1))
    y2 = x2 * torch.exp(s) + shift(x1)
    return join(x1, y2, parity), s.sum(-1)


def uncouple(y, scale, shift, parity):
    """x₂ = (y₂ − t(y₁))·exp(−s(y₁))."""
    y1, y2 = halves(y, parity)
    x2 = (y2 - shift(y1)) * torch.exp(-torch.tanh(scale(y1)))
    return join(y1, x2, parity)


class AffineCouplingRef(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.parity = o["parity"]
        conditioning, transformed = split_sizes(o["dim"], o["parity"])
        self.scale = CouplingNet(conditioning, o["hidden"], transformed)
        self.shift = CouplingNet(conditioning, o["hidden"], transformed)

    def forward(self, x):
        return couple(x, self.scale, self.shift, self.parity)

    def inverse(self, y):
        return uncouple(y, self.scale, self.shift, self.parity)


class FlowRef(nn.Module):
    """num_flows couplings of alternating parity; shared: one scale and one shift serve them all."""

    def __init__(self, o):
        super().__init__()
        self.o = o
        dim, hidden = o["dim"], o["hidden"]
        if o["shared"]:
            if dim % 2:
                raise ValueError("a shared flow needs an even dim")
            self.scale = CouplingNet(dim // 2, hidden, dim // 2)
            self.shift = CouplingNet(dim // 2, hidden, dim // 2)
        else:
            self.couplings = nn.ModuleList(
                AffineCouplingRef({"dim": dim, "hidden": hidden, "parity": i % 2}) for i in range(o["num_flows"]))
        self.z = None

    def transform(self, x):
        """z and Σᵢ log_detᵢ."""
        z, log_det = x, 0
        for i in range(self.o["num_flows"]):
            if self.o["shared"]:
                z, term = couple(z, self.scale, self.shift, i % 2)
            else:
                z, term = self.couplings[i](z)
            log_det = log_det + term
        return z, log_det

    def forward(self, x):
        dim, latent = self.o["dim"], self.o["latent"]
        z, log_det = self.transform(x)
        self.z = z.detach()
        nll = ((0.5 * (z * z).sum(-1) + 0.5 * dim * math.log(2 * math.pi) - log_det) / dim).mean()
        out = z if latent is None else z[..., :latent]
        return out, log_det, nll


def jacobian_logdet(function, x):
    """Per sample b of x [B, D]: log|det ∂function(x_b)/∂x_b| from the autograd Jacobian [D, D]."""
    values = []
    for b in range(x.shape[0]):
        jacobian = torch.autograd.functional.jacobian(lambda row: function(row[None])[0], x[b].detach())
        sign, logabsdet = torch.linalg.slogdet(jacobian)
        if sign == 0:
            raise AssertionError("singular Jacobian")
        values.append(logabsdet)
    return torch.stack(values)


def check_close(what, actual, expected, tolerance):
    error = (actual - expected).abs().max().item()
    if not error < tolerance:
        raise AssertionError(f"{what}: max error {error:.3g} ≥ {tolerance:g}")


# ---------------------------------------------------------------------------
# OdeEmbedding
# ---------------------------------------------------------------------------


class OdeEmbeddingRef(nn.Module):
    """e₀ = norm_in(proj(x)); de/dt = norm_field(−decay·(1 + adaptive·‖e‖)·e + 0.8·tanh e
    + 0.2·GELU e + 0.1·e); out = e(1) + 0.1·e₀, the whole tensor one ODE state."""

    def __init__(self, o):
        super().__init__()
        self.o = o
        self.proj = nn.Linear(o["input"], o["hidden"])
        self.norm_in = nn.LayerNorm(o["hidden"], eps=EPS)
        self.norm_field = nn.LayerNorm(o["hidden"], eps=EPS)

    def field(self, e):
        o = self.o
        magnitude = torch.linalg.vector_norm(e, dim=-1, keepdim=True)
        drift = -o["decay"] * (1 + o["adaptive"] * magnitude) * e + 0.8 * torch.tanh(e) + 0.2 * F.gelu(e) + 0.1 * e
        return self.norm_field(drift)

    def forward(self, x):
        o = self.o
        e0 = self.norm_in(self.proj(x))
        e1 = solve(self.field, e0, 1.0, o["solver"], o["step_size"], o["rtol"], o["atol"])
        return e1 + 0.1 * e0


# ---------------------------------------------------------------------------
# LiquidNeuron, LiquidTimeCell
# ---------------------------------------------------------------------------


class Modulation(nn.Module):
    """a = tanh(fc2(tanh(fc1(h)))): the adaptive neuron's bounded modulation."""

    def __init__(self, units, hidden):
        super().__init__()
        self.fc1 = nn.Linear(units, hidden)
        self.fc2 = nn.Linear(hidden, units)

    def forward(self, h):
        return torch.tanh(self.fc2(torch.tanh(self.fc1(h))))


class LiquidNeuronRef(nn.Module):
    """The neuron's vector field f(h, x); as a layer, one Euler step of dt per position."""

    def __init__(self, o):
        super().__init__()
        self.o = o
        units = o["units"]
        self.input = nn.Linear(o["input"], units)
        self.decay = nn.Parameter(torch.zeros(units))
        self.log_tau = nn.Parameter(torch.zeros(units))
        self.norm = nn.LayerNorm(units, eps=EPS)
        if o["adaptive"]:
            self.modulation = Modulation(units, o["adaptive_hidden"])

    def field(self, h, x):
        tau = torch.exp(self.log_tau)
        if not self.o["adaptive"]:
            return self.norm((-self.decay * h + self.input(x)) / tau)
        a = self.modulation(h)
        drive = (1 + a) * F.linear(x, self.input.weight) + self.input.bias
        return self.norm((-self.decay * h + drive) / (tau * torch.sigmoid(a)))

    def step(self, h, x):
        return h + self.o["dt"] * self.field(h, x)

    def forward(self, x, h0=None):
        return scan(self.step, x, h0, self.o["units"])


class LiquidTimeCellRef(nn.Module):
    """ĥ = odeint(f(·, x_t), h, [0, dt]); h ← h + σ(gate)·(ĥ − h)."""

    def __init__(self, o):
        super().__init__()
        if o["adjoint"]:
            raise NotImplementedError("the references backpropagate directly (adjoint is false in every case)")
        self.o = o
        self.neuron = LiquidNeuronRef(o)
        self.gate = nn.Parameter(torch.zeros(o["units"]))

    def step(self, h, x):
        o = self.o
        solved = solve(lambda state: self.neuron.field(state, x), h, o["dt"], o["solver"], o["step_size"], o["rtol"], o["atol"])
        return h + torch.sigmoid(self.gate) * (solved - h)

    def forward(self, x, h0=None):
        return scan(self.step, x, h0, self.o["units"])


def scan(step, x, h0, units):
    """h_t = step(h_{t−1}, x_t) over x [B, T, C] from h0 (zeros if absent): every h_t and the last."""
    h = h0 if h0 is not None else torch.zeros(x.shape[0], units, dtype=x.dtype)
    states = []
    for t in range(x.shape[1]):
        h = step(h, x[:, t])
        states.append(h)
    return torch.stack(states, dim=1), h


# ---------------------------------------------------------------------------
# AsyncLiquidCell
# ---------------------------------------------------------------------------


class AsyncLiquidCellRef(nn.Module):
    """x' = x + time(τ); each complete chunk of N positions updates h once, by a liquid time cell
    driven by the chunk's attention context (one query from h); out_p = x'_p + readout(h before
    p's chunk). One call from absolute position 0."""

    def __init__(self, o):
        super().__init__()
        self.o = o
        c, h = o["input"], o["units"]
        self.time = nn.Linear(1, c)
        self.key = nn.Linear(c, h)
        self.query = nn.Linear(h, h)
        self.value = nn.Linear(c, h)
        self.readout = nn.Linear(h, c)
        self.cell = LiquidTimeCellRef({**o, "input": h, "adjoint": False})

    def default_times(self, batch, steps, dtype):
        """(p mod N) / (N − 1) at absolute position p, 0 for N = 1."""
        n = self.o["chunk"]
        p = torch.arange(steps, dtype=torch.float64)
        times = torch.zeros(steps, dtype=torch.float64) if n == 1 else torch.remainder(p, n) / (n - 1)
        return times.to(dtype).expand(batch, steps)

    def forward(self, x, timestamps=None, h0=None):
        n, units = self.o["chunk"], self.o["units"]
        batch, steps, _ = x.shape
        if timestamps is None:
            timestamps = self.default_times(batch, steps, x.dtype)
        shifted = x + self.time(timestamps[..., None])  # x' [B, T, C]
        h = h0 if h0 is not None else torch.zeros(batch, units, dtype=x.dtype)
        outs, weights = [], []
        for start in range(0, steps, n):
            piece = shifted[:, start : start + n]
            outs.append(piece + self.readout(h)[:, None, :])  # the state before this chunk
            if piece.shape[1] < n:  # a partial chunk: no update, attention 0
                weights.append(torch.zeros(batch, piece.shape[1], dtype=x.dtype))
                continue
            scores = (self.key(piece) * self.query(h)[:, None, :]).sum(-1) / math.sqrt(units)  # [B, N]
            attention = torch.softmax(scores, dim=-1)
            context = (attention[..., None] * self.value(piece)).sum(1)  # [B, H]
            h = self.cell.step(h, context)
            weights.append(attention)
        return torch.cat(outs, dim=1), h, torch.cat(weights, dim=1)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

CASES = []


def case(name, kind, options, dtype="float64"):
    def register(build):
        CASES.append((name, kind, options, dtype, build))
        return build

    return register


def coupling_case(name, batch=3, dtype="float64", **options):
    options = {"hidden": 5, "parity": 0, **options}

    @case(name, "affine_coupling", options, dtype)
    def _():
        module = AffineCouplingRef(options)
        perturb(module, 0.5)
        seen = {}

        def run(inputs):
            y, log_det = module(inputs[""])
            seen["x"], seen["y"], seen["log_det"] = inputs[""].detach(), y.detach(), log_det.detach()
            return {"": y, "log_det": log_det}

        def extras():
            wide = seen["y"].dtype == torch.float64
            with torch.no_grad():
                inverse = module.inverse(seen["y"])
            check_close(f"{name}: inverse(y) vs x", inverse, seen["x"], 1e-10 if wide else 1e-4)
            values = {"inverse": inverse}
            if wide:
                values["jacobian_logdet"] = jacobian_logdet(lambda x: module(x)[0], seen["x"])
                check_close(f"{name}: Jacobian log|det| vs log_det", values["jacobian_logdet"], seen["log_det"], 1e-10)
            return values

        return module, {"": randn(batch, options["dim"])}, run, extras


coupling_case("affine_coupling", dim=6, hidden=5, parity=0)
coupling_case("affine_coupling_parity1", dim=7, hidden=5, parity=1)
coupling_case("affine_coupling_f32", dim=8, hidden=6, parity=0, batch=4, dtype="float32")


def flow_case(name, shape=(3,), jacobian=True, dtype="float64", **options):
    options = {"hidden": 5, "num_flows": 4, "latent": None, "shared": False, **options}

    @case(name, "flow", options, dtype)
    def _():
        module = FlowRef(options)
        perturb(module, 0.5)
        seen = {}

        def run(inputs):
            out, log_det, nll = module(inputs[""])
            seen["x"], seen["log_det"] = inputs[""].detach(), log_det.detach()
            return {"": out, "log_det": log_det, "nll": nll}

        def extras():
            values = {"z": module.z}
            if jacobian:
                values["jacobian_logdet"] = jacobian_logdet(lambda x: module.transform(x)[0], seen["x"])
                check_close(f"{name}: Jacobian log|det| vs log_det", values["jacobian_logdet"], seen["log_det"], 1e-10)
            return values

        return module, {"": randn(*shape, options["dim"])}, run, extras


flow_case("flow", dim=6, hidden=5, num_flows=4, latent=3, shared=False)
flow_case("flow_shared", dim=6, hidden=4, num_flows=4, latent=4, shared=True)
flow_case("flow_full", dim=5, hidden=4, num_flows=3, latent=None, shared=False)
flow_case("flow_sequence", shape=(2, 4), jacobian=False, dim=6, hidden=5, num_flows=4, latent=3, shared=False)
flow_case("flow_f32", shape=(4,), jacobian=False, dtype="float32", dim=8, hidden=6, num_flows=4, latent=5, shared=False)


def ode_embedding_case(name, shape=(2, 3), dtype="float64", **options):
    options = {"input": 4, "hidden": 6, "dropout": 0.0, "decay": 0.1, "adaptive": 0.01, "solver": "dopri5",
               "rtol": 1e-3, "atol": 1e-3, "step_size": None, **options}

    @case(name, "ode_embedding", options, dtype)
    def _():
        module = OdeEmbeddingRef(options)
        perturb(module, 0.5)
        return module, {"": randn(*shape, options["input"])}, lambda inputs: {"": module(inputs[""])}, None


ode_embedding_case("ode_embedding_rk4", solver="rk4", step_size=0.25)
ode_embedding_case("ode_embedding_dopri5", shape=(2, 5), solver="dopri5", rtol=1e-3, atol=1e-3, step_size=None)
ode_embedding_case("ode_embedding_euler", shape=(3,), solver="euler", step_size=None)
ode_embedding_case("ode_embedding_f32", shape=(2, 4), dtype="float32", input=5, hidden=8, solver="rk4", step_size=0.5)


def sequence_inputs(options, batch, steps, with_h0):
    inputs = {"": randn(batch, steps, options["input"])}
    if with_h0:
        inputs["h0"] = randn(batch, options["units"], scale=0.5)
    return inputs


def sequence_run(module):
    def run(inputs):
        out, h = module(inputs[""], inputs.get("h0"))
        return {"": out, "h": h}

    return run


def neuron_case(name, batch=2, steps=7, with_h0=False, dtype="float64", **options):
    options = {"input": 3, "units": 5, "adaptive": False, "adaptive_hidden": 4, "dropout": 0.0, "dt": 1.0, **options}
    kind = "adaptive_liquid_neuron" if options["adaptive"] else "liquid_neuron"

    @case(name, kind, options, dtype)
    def _():
        module = LiquidNeuronRef(options)
        perturb(module, 0.5)
        return module, sequence_inputs(options, batch, steps, with_h0), sequence_run(module), None


neuron_case("liquid_neuron", adaptive=False, dt=0.5)
neuron_case("liquid_neuron_h0", with_h0=True, adaptive=False, dt=0.5)
neuron_case("adaptive_liquid_neuron", adaptive=True, adaptive_hidden=4, dt=1.0)
neuron_case("liquid_neuron_f32", batch=3, steps=9, with_h0=True, dtype="float32", input=4, units=6, adaptive=False, dt=0.5)


CELL_DEFAULTS = {"input": 3, "units": 5, "adaptive": False, "adaptive_hidden": 4, "dropout": 0.0, "dt": 1.0,
                 "solver": "rk4", "step_size": None, "rtol": 1e-6, "atol": 1e-6}


def time_cell_case(name, batch=2, steps=6, with_h0=False, dtype="float64", **options):
    options = {**CELL_DEFAULTS, "adjoint": False, **options}

    @case(name, "liquid_time_cell", options, dtype)
    def _():
        module = LiquidTimeCellRef(options)
        perturb(module, 0.5)
        return module, sequence_inputs(options, batch, steps, with_h0), sequence_run(module), None


time_cell_case("liquid_time_cell", solver="rk4", step_size=None, dt=1.0)
time_cell_case("liquid_time_cell_adaptive", with_h0=True, adaptive=True, adaptive_hidden=4, solver="euler", step_size=0.25, dt=1.0)
time_cell_case("liquid_time_cell_dopri5", adaptive=False, solver="dopri5", rtol=1e-6, atol=1e-6, step_size=None, dt=0.5)
time_cell_case("liquid_time_cell_f32", batch=3, steps=5, with_h0=True, dtype="float32", input=4, units=6, adaptive=True,
               adaptive_hidden=5, solver="midpoint", step_size=0.5, dt=1.0)


def async_case(name, batch=2, steps=10, with_times=True, with_h0=False, dtype="float64", **options):
    options = {**CELL_DEFAULTS, "input": 4, "chunk": 3, **options}

    @case(name, "async_liquid_cell", options, dtype)
    def _():
        module = AsyncLiquidCellRef(options)
        perturb(module, 0.5)
        inputs = {"": randn(batch, steps, options["input"])}
        if with_times:  # irregular event times in [0, 1], increasing along each sequence
            inputs["timestamps"] = torch.sort(torch.rand(batch, steps, dtype=torch.float64), dim=1).values
        if with_h0:
            inputs["h0"] = randn(batch, options["units"], scale=0.5)

        def run(values):
            out, h, attention = module(values[""], values.get("timestamps"), values.get("h0"))
            return {"": out, "h": h, "attention": attention}

        return module, inputs, run, None


async_case("async_liquid_cell", steps=10, input=4, units=5, chunk=3, adaptive=False, solver="rk4", step_size=None, dt=1.0)
async_case("async_liquid_cell_default_times", steps=9, with_times=False, chunk=4)
async_case("async_liquid_cell_adaptive_h0", steps=7, with_h0=True, chunk=2, adaptive=True, adaptive_hidden=3)
async_case("async_liquid_cell_chunk1", steps=5, with_times=False, chunk=1)
async_case("async_liquid_cell_f32", batch=3, steps=8, dtype="float32", input=6, units=7, chunk=3, adaptive=True,
           adaptive_hidden=4, solver="rk4", step_size=0.5, dt=1.0)


# ---------------------------------------------------------------------------
# Driver (make_foundation.py's)
# ---------------------------------------------------------------------------


def run_case(name, kind, options, dtype_name, build):
    torch.manual_seed(zlib.crc32(name.encode("ascii")))
    dtype = DTYPES[dtype_name]
    module, inputs, run, extras = build()
    module.to(dtype)
    inputs = {key: value.to(dtype) if value.is_floating_point() else value for key, value in inputs.items()}
    for value in inputs.values():
        if value.is_floating_point():
            value.requires_grad_(True)

    outputs = run(inputs)
    projections = {key: randn(*value.shape).to(dtype) for key, value in outputs.items()}
    loss = sum((outputs[key] * projections[key]).sum() for key in sorted(outputs))
    parameters = dict(module.named_parameters())
    grad_targets = [value for value in inputs.values() if value.is_floating_point()] + list(parameters.values())
    grads = torch.autograd.grad(loss, grad_targets, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, grad_targets)]

    def key(*parts):
        return ".".join(part for part in (name,) + parts if part)

    tensors = {}
    for input_name, value in inputs.items():
        tensors[key("input", input_name)] = value.detach()
    for output_name, value in outputs.items():
        tensors[key("output", output_name)] = value.detach()
        tensors[key("projection", output_name)] = projections[output_name]
    grad_iter = iter(grads)
    for input_name, value in inputs.items():
        if value.is_floating_point():
            tensors[key("grad", "input", input_name)] = next(grad_iter)
    for parameter_name, value in parameters.items():
        tensors[key("param", parameter_name)] = value.detach()
        tensors[key("grad", "param", parameter_name)] = next(grad_iter)
    if extras is not None:
        for extra_name, value in extras().items():
            tensors[key("extra", extra_name)] = value.detach().to(dtype) if value.is_floating_point() else value.detach()

    if dtype == torch.float32:
        check_float32_against_float64(name, kind, options, build, tensors)
    for tensor_name, value in tensors.items():
        if value.is_floating_point() and value.dtype != dtype:
            raise AssertionError(f"{tensor_name}: {value.dtype}, expected {dtype}")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise AssertionError(f"{tensor_name}: not finite")
    description = {"kind": kind, "dtype": dtype_name, "options": options}
    return tensors, json.dumps(description, sort_keys=True, separators=(",", ":"))


def check_float32_against_float64(name, kind, options, build, tensors):
    """A float32 case must agree with the same case in float64 to float32 accuracy (this guards
    the reference against libtorch's own float32 kernels, e.g. 1.13's strided gelu_backward)."""
    torch.manual_seed(zlib.crc32(name.encode("ascii")))
    module, inputs, run, _ = build()
    inputs = {key: value.detach().requires_grad_(True) if value.is_floating_point() else value for key, value in inputs.items()}
    outputs = run(inputs)
    wide = {}
    for output_name, value in outputs.items():
        wide[".".join(p for p in (name, "output", output_name) if p)] = value.detach()
    loss = sum((outputs[key] * tensors[".".join(p for p in (name, "projection", key) if p)].double()).sum() for key in sorted(outputs))
    parameters = dict(module.named_parameters())
    grads = torch.autograd.grad(loss, list(parameters.values()), allow_unused=True)
    for parameter_name, grad in zip(parameters, grads):
        if grad is not None:
            wide[f"{name}.grad.param.{parameter_name}"] = grad
    for key, expected in wide.items():
        actual = tensors[key].double()
        bound = 1e-3 * expected.abs().max().item() + 1e-4
        if (actual - expected).abs().max().item() > bound:
            raise AssertionError(f"{key}: float32 differs from float64 by {(actual - expected).abs().max().item():.3g} > {bound:.3g}")


def main():
    torch.set_num_threads(1)  # one summation order, so reruns give the same bytes
    torch.set_default_dtype(torch.float64)  # modules are built in float64, f32 cases converted after
    names = [name for name, *_ in CASES]
    if len(set(names)) != len(names):
        raise AssertionError("duplicate case names")
    tensors, metadata = {}, {"format": FORMAT}
    for name, kind, options, dtype, build in CASES:
        case_tensors, description = run_case(name, kind, options, dtype, build)
        tensors.update(case_tensors)
        metadata[name] = description
    os.makedirs(DATA_DIR, exist_ok=True)
    safetensors_io.save(OUTPUT, tensors, metadata)
    os.chmod(OUTPUT, 0o644)  # the writer's temp file is private
    print(f"wrote {len(CASES)} cases, {len(tensors)} tensors to {os.path.relpath(OUTPUT)}")


if __name__ == "__main__":
    main()
