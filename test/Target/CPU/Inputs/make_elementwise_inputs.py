#!/usr/bin/python3
"""Inputs of elementwise.mlir: random values over each type's full range,
with the extremes at the start of every tensor. Writes a/b/c/d.npy to the
directory given."""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(5)


def make(shape, dtype):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size=shape, endpoint=True,
                     dtype=np.int64)
    x.flat[:4] = [info.min, info.max, 0, -1]
    return x.astype(dtype)


np.save(os.path.join(out, "a.npy"), make((3, 5, 70), np.int32))
np.save(os.path.join(out, "b.npy"), make((3, 5, 70), np.int8))
np.save(os.path.join(out, "c.npy"), make((3, 5, 70), np.int16))
np.save(os.path.join(out, "d.npy"), make((1, 7), np.int32))
