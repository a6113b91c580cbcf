"""Write the safetensors fixture that the runtime tests (tests/Liquid.Runtime.Tests/Serialization) read.

Outputs, under tests/reference/data/:
  safetensors_fixture.safetensors  a few seeded tensors, one per dtype, plus a
                                   zero-size tensor, a scalar and metadata;
  safetensors_fixture.json         for each tensor its dtype, shape and values
                                   as a flat row-major list, so the C# test can
                                   check the bytes against numbers it did not
                                   decode with the same code.

Floats in the JSON are Python floats, which json writes with repr: the
shortest text that parses back to the same double, and every F32/F16/BF16
value is exactly representable as a double, so the comparison can be exact.

Run from anywhere with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/make_safetensors_fixture.py
"""

import json
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402  (imported after the path is set)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
FIXTURE = os.path.join(DATA_DIR, "safetensors_fixture.safetensors")
DESCRIPTION = os.path.join(DATA_DIR, "safetensors_fixture.json")
METADATA = {"producer": "pytorch-reference"}


def make_tensors():
    generator = torch.Generator().manual_seed(20240601)

    def randn(*shape, dtype):
        return torch.randn(shape, generator=generator, dtype=torch.float64).to(dtype)

    weight = randn(2, 3, dtype=torch.float32)
    weight[1, 2] = -0.0  # the sign of zero must survive the trip
    return {
        "h.0.attn.weight": weight,
        "h.0.mlp.bias": randn(5, dtype=torch.float64),
        "wte.bf16": randn(3, 4, dtype=torch.bfloat16),
        "half.f16": randn(4, dtype=torch.float16),
        "tokens.i64": torch.cat([
            torch.tensor([-(2**63), 2**63 - 1, -1, 2**40 + 3], dtype=torch.int64),
            torch.randint(-1000, 1000, (4,), generator=generator, dtype=torch.int64),
        ]).reshape(2, 4),
        "counts.i32": torch.tensor([-(2**31), 2**31 - 1, 7], dtype=torch.int32),
        "small.i16": torch.tensor([-(2**15), 2**15 - 1], dtype=torch.int16),
        "tiny.i8": torch.tensor([[-128, 127], [0, -1]], dtype=torch.int8),
        "pixels.u8": torch.cat([
            torch.tensor([0, 255], dtype=torch.uint8),
            torch.randint(0, 256, (4,), generator=generator, dtype=torch.uint8),
        ]),
        "mask.bool": torch.rand(2, 3, generator=generator) > 0.5,
        "empty.f32": torch.zeros(0, 4, dtype=torch.float32),
        "scale.scalar": randn(dtype=torch.float64),
    }


def describe(name, tensor):
    dtype = safetensors_io._NAMES[tensor.dtype]
    flat = tensor.reshape(-1)
    if tensor.dtype.is_floating_point:
        values = flat.double().tolist()
    else:
        values = flat.tolist()  # ints, or bools that json writes as true/false
    return {"name": name, "dtype": dtype, "shape": list(tensor.shape), "values": values}


def check_round_trip(tensors):
    """The reader returns what the writer was given, and the writer is deterministic."""
    loaded, metadata = safetensors_io.load_with_metadata(FIXTURE)
    assert metadata == METADATA, metadata
    assert list(loaded) == sorted(tensors), list(loaded)
    for name, tensor in tensors.items():
        other = loaded[name]
        assert other.dtype == tensor.dtype and other.shape == tensor.shape, name
        # Compare bit patterns so -0.0 versus 0.0 counts as a difference.
        if tensor.is_floating_point():
            bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[tensor.element_size()]
            assert torch.equal(other.view(bits), tensor.view(bits)), name
        else:
            assert torch.equal(other, tensor), name

    with tempfile.TemporaryDirectory() as scratch:
        again = os.path.join(scratch, "again.safetensors")
        safetensors_io.save(again, make_tensors(), METADATA)
        with open(FIXTURE, "rb") as first, open(again, "rb") as second:
            assert first.read() == second.read(), "writing the same tensors twice gave different bytes"


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    tensors = make_tensors()
    safetensors_io.save(FIXTURE, tensors, METADATA)
    description = {
        "file": os.path.basename(FIXTURE),
        "metadata": METADATA,
        "tensors": [describe(name, tensors[name]) for name in sorted(tensors)],
    }
    with open(DESCRIPTION, "w", encoding="utf-8", newline="\n") as stream:
        json.dump(description, stream, indent=1)
        stream.write("\n")
    check_round_trip(tensors)
    print(f"wrote {FIXTURE} ({os.path.getsize(FIXTURE)} bytes) and {DESCRIPTION}")


if __name__ == "__main__":
    main()
