"""Write the Fashion-MNIST reference that tests/Liquid.Harness.Tests/Data/FashionMnistTests.cs reads.

An independent read of Debian's dataset-fashion-mnist files (gzip + struct + numpy, not the harness's
reader), reduced to facts a test can compare without committing the data set itself:

Output: tests/reference/data/fashion_mnist.json, an object with "train" and "test", each:
  {"count": N, "label_counts": [n_0 .. n_9], "pixel_sum": sum of all raw bytes,
   "images": [{"index", "label", "pixel_sum" (raw bytes), "sha256" (hex of its 784 raw bytes),
               "row_sums" (28 sums of raw bytes, row r = pixels 28r .. 28r+27),
               "scaled_sum" (float64 sum of its float32 pixel / 255 values),
               "pixels": [[row, column, float32(pixel) / float32(255) as a double], ...]}]}
Floats are written with Python's repr (shortest text that parses back to the same double).

Run from anywhere with /usr/bin/python3 (needs numpy and the dataset-fashion-mnist package):
    /usr/bin/python3 tests/reference/make_fashion_mnist.py
"""

import gzip
import hashlib
import json
import os
import struct
import sys

import numpy as np

FOLDER = "/usr/share/datasets/fashion-mnist"
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
OUTPUT = os.path.join(DATA_DIR, "fashion_mnist.json")

# Images checked one by one: the first and last of each set and a few in between.
INDICES = {"train": [0, 1, 2, 777, 12345, 30000, 59999], "test": [0, 1, 4242, 9999]}
# Pixels checked by value, (row, column): the centre, off-centre ones and a corner (usually 0).
PIXELS = [(14, 14), (5, 20), (20, 5), (27, 27), (0, 0)]


def read_idx(path, magic, rank):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got_magic, = struct.unpack(">I", data[:4])
    if got_magic != magic:
        sys.exit(f"{path}: magic {got_magic:#x}, expected {magic:#x}")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(dims)):
        sys.exit(f"{path}: {body.size} bytes of data for dims {dims}")
    return body.reshape(dims)


def describe(prefix, name):
    images = read_idx(os.path.join(FOLDER, f"{prefix}-images-idx3-ubyte.gz"), 0x803, 3)
    labels = read_idx(os.path.join(FOLDER, f"{prefix}-labels-idx1-ubyte.gz"), 0x801, 1)
    assert images.shape[0] == labels.shape[0] and images.shape[1:] == (28, 28)
    scaled = images.astype(np.float32) / np.float32(255)
    entries = []
    for i in INDICES[name]:
        raw = images[i]
        entries.append({
            "index": i,
            "label": int(labels[i]),
            "pixel_sum": int(raw.astype(np.int64).sum()),
            "sha256": hashlib.sha256(raw.tobytes()).hexdigest(),
            "row_sums": [int(s) for s in raw.astype(np.int64).sum(axis=1)],
            "scaled_sum": float(scaled[i].astype(np.float64).sum()),
            "pixels": [[r, c, float(scaled[i, r, c])] for r, c in PIXELS],
        })
    return {
        "count": int(labels.shape[0]),
        "label_counts": [int(n) for n in np.bincount(labels, minlength=10)],
        "pixel_sum": int(images.astype(np.int64).sum()),
        "images": entries,
    }


def main():
    if not os.path.isdir(FOLDER):
        sys.exit(f"{FOLDER} is missing: apt-get install -y dataset-fashion-mnist")
    result = {"train": describe("train", "train"), "test": describe("t10k", "test")}
    os.makedirs(DATA_DIR, exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
