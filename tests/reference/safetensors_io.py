"""Minimal safetensors reader and writer for the reference scripts.

Debian packages torch but not the `safetensors` module, so the format is written
out here by hand. Layout: an 8-byte little-endian header length N, N bytes of
UTF-8 JSON (tensor name -> {"dtype", "shape", "data_offsets": [begin, end]},
plus an optional "__metadata__" map of strings), then the data buffer, with
offsets relative to its start.

The writer is deterministic (tensors in sorted-name order, compact JSON,
metadata keys sorted, header padded with spaces to a multiple of 8), so it
produces the same bytes as Liquid.Runtime's `Safetensors.Write` given the same
ASCII-named tensors in sorted order.

Run with /usr/bin/python3 (the interpreter that has torch):
    /usr/bin/python3 tests/reference/safetensors_io.py FILE   # print a summary
"""

import json
import os
import struct
import sys
import tempfile

import numpy as np
import torch

_MAX_HEADER_LENGTH = 100_000_000
_METADATA_KEY = "__metadata__"

# dtype string -> (torch dtype, numpy dtype used for the raw bytes).
# numpy has no bfloat16, so BF16 travels as its bit pattern in int16.
_DTYPES = {
    "F64": (torch.float64, np.dtype("<f8")),
    "F32": (torch.float32, np.dtype("<f4")),
    "F16": (torch.float16, np.dtype("<f2")),
    "BF16": (torch.bfloat16, np.dtype("<i2")),
    "I64": (torch.int64, np.dtype("<i8")),
    "I32": (torch.int32, np.dtype("<i4")),
    "I16": (torch.int16, np.dtype("<i2")),
    "I8": (torch.int8, np.dtype("i1")),
    "U8": (torch.uint8, np.dtype("u1")),
    "BOOL": (torch.bool, np.dtype("?")),
}
_NAMES = {torch_dtype: name for name, (torch_dtype, _) in _DTYPES.items()}


def _tensor_bytes(tensor):
    """Row-major little-endian bytes of a tensor, and its dtype string."""
    if tensor.dtype not in _NAMES:
        raise ValueError(f"dtype {tensor.dtype} has no safetensors name here")
    name = _NAMES[tensor.dtype]
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.view(torch.int16)
    array = tensor.numpy().astype(_DTYPES[name][1], copy=False)
    return name, array.tobytes(order="C")


def save(path, tensors, metadata=None):
    """Write `tensors` (name -> torch.Tensor) to `path`, replacing it atomically."""
    header = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"metadata must map str to str, got {key!r}: {value!r}")
        header[_METADATA_KEY] = {key: metadata[key] for key in sorted(metadata)}

    chunks = []
    offset = 0
    for name in sorted(tensors):
        if name == _METADATA_KEY:
            raise ValueError(f"{name!r} is reserved for the metadata map")
        dtype, data = _tensor_bytes(tensors[name])
        header[name] = {
            "dtype": dtype,
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)

    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data buffer starts 8-byte aligned

    directory = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(dir=directory, prefix=".safetensors-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(struct.pack("<Q", len(text)))
            stream.write(text)
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp creates 0600; give the file the permissions a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_path, 0o666 & ~umask)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise


def load_with_metadata(path):
    """Read `path`; return (dict name -> torch.Tensor in header order, metadata dict)."""
    with open(path, "rb") as stream:
        raw = stream.read()

    def fail(message):
        raise ValueError(f"{path}: {message}")

    if len(raw) < 8:
        fail(f"the file is {len(raw)} bytes, too short for the 8-byte header length")
    (header_length,) = struct.unpack("<Q", raw[:8])
    if header_length > _MAX_HEADER_LENGTH or header_length > len(raw) - 8:
        fail(f"header length {header_length} is too large")
    header = json.loads(raw[8 : 8 + header_length].decode("utf-8"))
    if not isinstance(header, dict):
        fail("the header is not a JSON object")
    buffer = raw[8 + header_length :]

    metadata = header.pop(_METADATA_KEY, None) or {}
    if not all(isinstance(value, str) for value in metadata.values()):
        fail("__metadata__ values must be strings")

    tensors = {}
    spans = []
    for name, info in header.items():
        if info["dtype"] not in _DTYPES:
            fail(f"tensor {name!r}: unknown dtype {info['dtype']!r}")
        torch_dtype, np_dtype = _DTYPES[info["dtype"]]
        shape = info["shape"]
        begin, end = info["data_offsets"]
        count = 1
        for dim in shape:
            if not isinstance(dim, int) or dim < 0:
                fail(f"tensor {name!r}: bad shape {shape}")
            count *= dim
        if not 0 <= begin <= end <= len(buffer) or end - begin != count * np_dtype.itemsize:
            fail(f"tensor {name!r}: data_offsets [{begin}, {end}] do not fit {info['dtype']}{shape}")
        if count == 0:  # numpy refuses an offset at the very end of the buffer
            array = np.empty(shape, dtype=np_dtype)
        else:  # copy: frombuffer views are read-only
            array = np.frombuffer(buffer, dtype=np_dtype, count=count, offset=begin).reshape(shape).copy()
        tensor = torch.from_numpy(array)
        if torch_dtype == torch.bfloat16:
            tensor = tensor.view(torch.bfloat16)
        tensors[name] = tensor
        spans.append((begin, end, name))

    covered = 0
    for begin, end, name in sorted(spans):
        if begin != covered:
            fail(f"tensor {name!r}: data_offsets do not continue from byte {covered}")
        covered = end
    if covered != len(buffer):
        fail(f"bytes [{covered}, {len(buffer)}) of the data buffer belong to no tensor")
    return tensors, metadata


def load(path):
    """Read `path`; return a dict name -> torch.Tensor."""
    return load_with_metadata(path)[0]


def _main(arguments):
    if len(arguments) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    tensors, metadata = load_with_metadata(arguments[0])
    print(f"metadata: {json.dumps(metadata, sort_keys=True)}")
    for name, tensor in tensors.items():
        print(f"{name}: {_NAMES[tensor.dtype]}{list(tensor.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
