"""Write the liquid-cell reference data that tests/Liquid.Runtime.Tests/Nn/Liquid/*.cs read.

Output: tests/reference/data/liquid.safetensors. The cells are liquid_ref.py's plain PyTorch
implementations of ncps's LTC and CfC (written from the semantics document). For a case NAME:

  NAME.wiring.adjacency / .sensory   the fixed wiring (int64, [N, N] and [S, N], +1/-1/0),
                                     absent for a fully connected CfC
  NAME.param.P                       every state-dict entry P of the reference module (ncps's
                                     names: rnn_cell.gleak, rnn_cell.layer_0.ff1.weight, ...;
                                     the non-trainable masks included)
  NAME.input.x / .elapsed / .h0 / .c0   inputs (elapsed, h0, c0 only when the case uses them)
  NAME.output / .output.h / .output.c   the sequence (or last) output and the final state
  NAME.projection[.h/.c]             fixed random weights W per output: L = sum(output * W)
  NAME.grad.input.I, NAME.grad.param.P  dL/dI for every floating input, dL/dP for every
                                     trainable parameter

Init cases (kind "ltc_init" / "cfc_init") hold only the wiring and NAME.param.P: the module built
right after torch.manual_seed(SEED) in float32, so a module built after the same seed on the same
libtorch must hold bit-identical values (ncps's draw order, pitfall 3 included).

The safetensors __metadata__ maps each case to {"kind", "dtype", "options"} (options in
snake_case, layers as lists of neuron ids). Each case is seeded from its name; reruns give
identical bytes.

    /usr/bin/python3 tests/reference/make_liquid.py
"""

import json
import os
import sys
import zlib

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from liquid_ref import CfcRef, LtcRef, Wiring  # noqa: E402

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "liquid.safetensors")
FORMAT = "liquid-cells-reference-v1"
DTYPES = {"float64": torch.float64, "float32": torch.float32}
BATCH, STEPS, INPUTS = 3, 5, 4


# ---------------------------------------------------------------------------
# Fixed wirings (drawn from a torch generator: the tests fix the matrices, not ncps's numpy draws)
# ---------------------------------------------------------------------------


def dense_wiring(units, inputs, output_dim, generator):
    """Every synapse present, polarity +1 with probability 2/3 (FullyConnected's law)."""
    def sign(shape):
        return torch.where(torch.rand(shape, generator=generator) < 1 / 3, -1, 1).to(torch.int64)

    return Wiring(sign((units, units)), sign((inputs, units)), output_dim)


def ncp_like_wiring(inter, command, motor, inputs, generator, density=0.6):
    """NCP layout (motor ids first, then command, then inter) with random sparse synapses:
    sensory -> inter, inter -> command, command -> command, command -> motor, each target reached at
    least once; polarities +-1 with equal probability."""
    n = inter + command + motor
    motor_ids = list(range(motor))
    command_ids = list(range(motor, motor + command))
    inter_ids = list(range(motor + command, n))
    adjacency = torch.zeros(n, n, dtype=torch.int64)
    sensory = torch.zeros(inputs, n, dtype=torch.int64)

    def connect(matrix, sources, targets):
        for j in targets:
            chosen = [i for i in sources if torch.rand((), generator=generator) < density]
            if not chosen:
                chosen = [sources[int(torch.randint(len(sources), (), generator=generator))]]
            for i in chosen:
                matrix[i, j] = 1 if torch.rand((), generator=generator) < 0.5 else -1

    connect(sensory, list(range(inputs)), inter_ids)
    connect(adjacency, inter_ids, command_ids)
    connect(adjacency, command_ids, command_ids)
    connect(adjacency, command_ids, motor_ids)
    return Wiring(adjacency, sensory, motor, [inter_ids, command_ids, motor_ids])


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

CASES = []


def case(name, kind, dtype="float64"):
    def register(build):
        CASES.append((name, kind, dtype, build))
        return build

    return register


def wiring_options(wiring):
    return {"units": wiring.units, "output": wiring.output_dim, "layers": wiring.layers}


def ltc_case(name, wiring_kind="dense", units=6, output=None, dtype="float64", elapsed=True, h0=True, **options):
    options = {"return_sequences": True, "mixed_memory": False, "input_mapping": "affine",
               "output_mapping": "affine", "ode_unfolds": 6, "epsilon": 1e-8, "constraints": "softplus", **options}

    @case(name, "ltc", dtype)
    def _():
        generator = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 1)
        if wiring_kind == "dense":
            wiring = dense_wiring(units, INPUTS, output or units, generator)
        else:
            wiring = ncp_like_wiring(3, 3, 2, INPUTS, generator)
        cell_options = {k: options[k] for k in ("input_mapping", "output_mapping", "ode_unfolds", "epsilon",
                                                  "constraints")}
        module = LtcRef(wiring, options["return_sequences"], options["mixed_memory"], **cell_options)
        with torch.no_grad():  # mappings away from 1 and 0, so forgetting one shows
            for key in ("input_w", "input_b", "output_w", "output_b"):
                if hasattr(module.rnn_cell, key):
                    getattr(module.rnn_cell, key).copy_(torch.randn(getattr(module.rnn_cell, key).shape) * 0.5 + (
                        1.0 if key.endswith("_w") else 0.0))
        inputs = recurrent_inputs(wiring.units, options["mixed_memory"], elapsed, h0)
        return module, wiring, {**options, **wiring_options(wiring), "elapsed": elapsed, "h0": h0}, inputs


def cfc_case(name, wired=False, units=5, dtype="float64", elapsed=True, h0=True, **options):
    options = {"mode": "default", "activation": "lecun_tanh", "backbone_units": 7, "backbone_layers": 1,
               "proj_size": None, "return_sequences": True, "mixed_memory": False, **options}

    @case(name, "cfc", dtype)
    def _():
        generator = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 1)
        if wired == "dense":
            wiring = dense_wiring(units, INPUTS, units, generator)
        elif wired:
            wiring = ncp_like_wiring(3, 2, 2, INPUTS, generator)
        else:
            wiring = None
        if wiring is not None:
            module = CfcRef(INPUTS, wiring=wiring, proj_size=options["proj_size"],
                            return_sequences=options["return_sequences"], mixed_memory=options["mixed_memory"],
                            mode=options["mode"])
            described = {**options, **wiring_options(wiring), "wired": True}
            state_size = wiring.units
        else:
            module = CfcRef(INPUTS, units, proj_size=options["proj_size"],
                            return_sequences=options["return_sequences"], mixed_memory=options["mixed_memory"],
                            mode=options["mode"], activation=options["activation"],
                            backbone_units=options["backbone_units"], backbone_layers=options["backbone_layers"])
            described = {**options, "units": units, "wired": False}
            state_size = units
        inputs = recurrent_inputs(state_size, options["mixed_memory"], elapsed, h0)
        return module, wiring, {**described, "elapsed": elapsed, "h0": h0}, inputs


def recurrent_inputs(state_size, mixed, elapsed, h0):
    inputs = {"x": torch.randn(BATCH, STEPS, INPUTS, dtype=torch.float64)}
    if elapsed:  # per sample and step, so a broadcast over the wrong axis shows
        inputs["elapsed"] = torch.rand(BATCH, STEPS, dtype=torch.float64) * 1.5 + 0.5
    if h0:
        inputs["h0"] = torch.randn(BATCH, state_size, dtype=torch.float64) * 0.5
        if mixed:
            inputs["c0"] = torch.randn(BATCH, state_size, dtype=torch.float64) * 0.5
    return inputs


ltc_case("ltc_dense", elapsed=True, h0=True)
ltc_case("ltc_dense_motor", output=2, elapsed=False, h0=False, ode_unfolds=3)
ltc_case("ltc_wired", wiring_kind="ncp", elapsed=True, h0=True)
ltc_case("ltc_wired_none_linear", wiring_kind="ncp", constraints="none", input_mapping="linear",
         output_mapping="none", ode_unfolds=4, epsilon=1e-3)
ltc_case("ltc_wired_mapping_none", wiring_kind="ncp", input_mapping="none", output_mapping="linear",
         return_sequences=False)
ltc_case("ltc_mixed", output=3, mixed_memory=True)
ltc_case("ltc_mixed_last", wiring_kind="ncp", mixed_memory=True, return_sequences=False, h0=False)
ltc_case("ltc_dense_f32", dtype="float32")

cfc_case("cfc_default")
cfc_case("cfc_default_nostate", elapsed=False, h0=False, activation="silu")
cfc_case("cfc_no_gate", mode="no_gate", activation="relu", backbone_layers=2)
cfc_case("cfc_pure", mode="pure", activation="tanh")
cfc_case("cfc_gelu", activation="gelu", backbone_units=6)
cfc_case("cfc_layers0", backbone_layers=0)
cfc_case("cfc_pure_layers0", mode="pure", backbone_layers=0)
cfc_case("cfc_proj_mixed", proj_size=3, mixed_memory=True, return_sequences=False)
cfc_case("cfc_wired", wired=True)
cfc_case("cfc_wired_no_gate", wired=True, mode="no_gate", h0=False)
cfc_case("cfc_wired_pure", wired=True, mode="pure")
cfc_case("cfc_wired_dense", wired="dense", units=4, proj_size=2)
cfc_case("cfc_wired_mixed", wired=True, mixed_memory=True)
cfc_case("cfc_default_f32", dtype="float32", backbone_layers=2)
cfc_case("cfc_wired_f32", wired=True, dtype="float32")


def init_case(name, kind, seed, build):
    @case(name, kind, "float32")
    def _():
        return build, seed

    return _


def init_ltc():
    wiring = ncp_like_wiring(4, 3, 2, 5, torch.Generator().manual_seed(3))
    return LtcRef(wiring, mixed_memory=True), wiring, {**wiring_options(wiring), "inputs": 5, "mixed_memory": True}


def init_cfc(mode, wired, layers=1, activation="lecun_tanh", mixed=False, proj=None):
    def build():
        if wired:
            wiring = ncp_like_wiring(4, 3, 2, 5, torch.Generator().manual_seed(4))
            module = CfcRef(5, wiring=wiring, mode=mode, mixed_memory=mixed, proj_size=proj)
            return module, wiring, {**wiring_options(wiring), "inputs": 5, "mode": mode, "wired": True,
                                    "mixed_memory": mixed, "proj_size": proj}
        module = CfcRef(5, 9, proj_size=proj, mode=mode, activation=activation, backbone_units=11, backbone_layers=layers,
                        mixed_memory=mixed)
        return module, None, {"inputs": 5, "units": 9, "mode": mode, "wired": False, "backbone_units": 11,
                              "backbone_layers": layers, "activation": activation, "mixed_memory": mixed,
                              "proj_size": proj}

    return build


init_case("init_ltc_mixed", "ltc_init", 7, init_ltc)
init_case("init_cfc_default", "cfc_init", 8, init_cfc("default", False, layers=2, mixed=True, proj=3))
init_case("init_cfc_pure", "cfc_init", 9, init_cfc("pure", False))
init_case("init_cfc_no_gate_layers0", "cfc_init", 10, init_cfc("no_gate", False, layers=0))
init_case("init_cfc_wired", "cfc_init", 11, init_cfc("default", True))
init_case("init_cfc_wired_pure", "cfc_init", 12, init_cfc("pure", True))


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def key(name, *parts):
    return ".".join(part for part in (name,) + parts if part)


def wiring_tensors(name, wiring):
    if wiring is None:
        return {}
    return {key(name, "wiring", "adjacency"): wiring.adjacency.clone(),
            key(name, "wiring", "sensory"): wiring.sensory.clone()}


def run_init_case(name, kind, build_and_seed):
    build, seed = build_and_seed
    torch.manual_seed(seed)
    module, wiring, options = build()
    tensors = wiring_tensors(name, wiring)
    for parameter_name, value in module.state_dict().items():
        tensors[key(name, "param", parameter_name)] = value.detach().clone()
    return tensors, {"kind": kind, "dtype": "float32", "options": {**options, "seed": seed}}


def run_case(name, kind, dtype_name, build):
    torch.manual_seed(zlib.crc32(name.encode("ascii")))
    dtype = DTYPES[dtype_name]
    module, wiring, options, inputs = build()
    module.to(dtype)
    inputs = {k: v.to(dtype).requires_grad_(True) for k, v in inputs.items()}
    out, h, c = module(inputs["x"], inputs.get("elapsed"), inputs.get("h0"), inputs.get("c0"))
    outputs = {"": out, "h": h}
    if c is not None:
        outputs["c"] = c
    projections = {k: torch.randn(v.shape, dtype=torch.float64).to(dtype) for k, v in outputs.items()}
    loss = sum((outputs[k] * projections[k]).sum() for k in sorted(outputs))
    trainable = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, list(inputs.values()) + [p for _, p in trainable])

    tensors = wiring_tensors(name, wiring)
    for input_name, value in inputs.items():
        tensors[key(name, "input", input_name)] = value.detach().clone()
    for output_name, value in outputs.items():
        tensors[key(name, "output", output_name)] = value.detach().clone()
        tensors[key(name, "projection", output_name)] = projections[output_name]
    for parameter_name, value in module.state_dict().items():
        tensors[key(name, "param", parameter_name)] = value.detach().clone()
    grad_iter = iter(grads)
    for input_name in inputs:
        tensors[key(name, "grad", "input", input_name)] = next(grad_iter)
    for parameter_name, _ in trainable:
        tensors[key(name, "grad", "param", parameter_name)] = next(grad_iter)
    for tensor_name, value in tensors.items():
        if value.is_floating_point() and value.dtype != dtype:
            raise AssertionError(f"{tensor_name}: {value.dtype}, expected {dtype}")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise AssertionError(f"{tensor_name}: not finite")
    return tensors, {"kind": kind, "dtype": dtype_name, "options": options}


def main():
    torch.set_num_threads(1)  # one summation order, so reruns give the same bytes
    names = [name for name, *_ in CASES]
    if len(set(names)) != len(names):
        raise AssertionError("duplicate case names")
    tensors, metadata = {}, {"format": FORMAT}
    for name, kind, dtype, build in CASES:
        if kind.endswith("_init"):
            case_tensors, description = run_init_case(name, kind, build())
        else:
            case_tensors, description = run_case(name, kind, dtype, build)
        tensors.update(case_tensors)
        metadata[name] = json.dumps(description, sort_keys=True, separators=(",", ":"))
    os.makedirs(DATA_DIR, exist_ok=True)
    safetensors_io.save(OUTPUT, tensors, metadata)
    os.chmod(OUTPUT, 0o644)
    print(f"wrote {len(CASES)} cases, {len(tensors)} tensors to {os.path.relpath(OUTPUT)}")


if __name__ == "__main__":
    main()
