#!/usr/bin/python3
"""Exact oracle of the integer-only ops for test/Interpreter/integer-ops.mlir.

    integer_oracle.py MLIR_FILE DIR

writes the inputs as DIR/<name>.npy and the expected outputs as
DIR/expected/<name>.npy. Each op's attributes are read from MLIR_FILE (the
line `%<name> = qcc.<op> ... {attrs}`), and each op is evaluated from its
definition in docs/IntegerSemantics.md ("Integer ops") with Python's
unbounded integers: a dyadic rescale is floor((2 x m + 2^e) / 2^(e+1)),
every floor is Python's //, the integer square root is math.isqrt. Nothing
here shares code with qcc.
"""

import math
import os
import re
import sys

import numpy as np

rng = np.random.default_rng(20261125)

INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
RANGES = {np.int8: (-128, 127), np.uint8: (0, 255), np.int16: (-2**15, 2**15 - 1),
          np.int32: (-2**31, 2**31 - 1)}


def dyadic(x, m, e):
    """floor(x * m / 2^e + 1/2), exactly."""
    return (2 * x * m + 2**e) // 2**(e + 1)


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


def read_attrs(path):
    """{result name: {attr: int or [ints]}} for every qcc op line."""
    ops = {}
    for line in open(path):
        m = re.match(r"\s*%(\w+) = qcc\.\w+ [^{]*\{(.*?)\} :", line)
        if not m:
            continue
        attrs = {}
        for key, array, scalar in re.findall(
                r"(\w+) = (?:array<i32(?::([^>]*))?>|(-?\d+) : i\d+)", m.group(2)):
            if scalar:
                attrs[key] = int(scalar)
            else:
                attrs[key] = [int(v) for v in array.split(",")] if array else []
        ops[m.group(1)] = attrs
    return ops


def per_axis(values, shape, axis, index):
    """The parameter of the element at multi-index `index`."""
    return values[0] if len(values) == 1 else values[index[axis]]


def requant(x, a, out_dtype):
    lo, hi = RANGES[out_dtype]
    lo = max(lo, a.get("min", lo))
    hi = min(hi, a.get("max", hi))
    y = np.zeros(x.shape, dtype=out_dtype)
    for idx in np.ndindex(*x.shape):
        d = clamp(int(x[idx]) - a.get("input_zero_point", 0), INT64_MIN, INT64_MAX)
        m = per_axis(a["multiplier"], x.shape, a.get("axis", 0), idx)
        e = per_axis(a["shift"], x.shape, a.get("axis", 0), idx)
        y[idx] = clamp(dyadic(d, m, e) + a.get("output_zero_point", 0), lo, hi)
    return y


def requant_add(x, z, a, out_dtype):
    lo, hi = RANGES[out_dtype]
    y = np.zeros(x.shape, dtype=out_dtype)
    axis = a.get("axis", 0)
    for idx in np.ndindex(*x.shape):
        s = dyadic(int(x[idx]), per_axis(a["lhs_multiplier"], x.shape, axis, idx),
                   per_axis(a["lhs_shift"], x.shape, axis, idx))
        s += dyadic(int(z[idx]), per_axis(a["rhs_multiplier"], x.shape, axis, idx),
                    per_axis(a["rhs_shift"], x.shape, axis, idx))
        y[idx] = clamp(s, lo, hi)
    return y


def int_exp16(x, a):
    xs = max(dyadic(x, a["exp_multiplier"], a["exp_shift"]), -30 * 4096)
    octave = (-xs) // 4096
    r = xs + octave * 4096
    z = r * (r + a["poly_b"]) + a["poly_c"]
    return dyadic(z, a["e16_multiplier"], a["e16_shift"] + octave)


def int_softmax(x, mask, a):
    length = x.shape[-1]
    rows = x.reshape(-1, length)
    per_batch = rows.shape[0] // x.shape[0]
    y = np.zeros(rows.shape, dtype=np.uint8)
    for r, row in enumerate(rows):
        keep = [mask[r // per_batch, j] != 0 for j in range(length)]
        kept = [int(row[j]) for j in range(length) if keep[j]]
        if not kept:
            continue
        top = max(kept)
        assert top - min(kept) < 2**a["input_bits"]
        e = [int_exp16(int(row[j]) - top, a) if keep[j] else 0
             for j in range(length)]
        recip = 2**47 // sum(e)
        for j in range(length):
            y[r, j] = min(255, e[j] * recip // 2**39)
    return y.reshape(x.shape)


def int_gelu(x, a, out_dtype):
    lo, hi = RANGES[out_dtype]
    clip, one, n = a["clip"], a["one"], a["erf_shift"]
    y = np.zeros(x.shape, dtype=out_dtype)
    for idx in np.ndindex(*x.shape):
        v = int(x[idx])
        d = min(abs(v), clip) - clip
        erf = (one - d * d) // 2**n
        g = v * ((erf if v >= 0 else -erf) + one // 2**n)
        y[idx] = clamp(dyadic(g, a["output_multiplier"], a["output_shift"]), lo, hi)
    return y


def int_layer_norm(x, a, out_dtype):
    lo, hi = RANGES[out_dtype]
    length = x.shape[-1]
    shift, offset = a["var_shift"], a.get("var_offset", 0)
    rows = x.reshape(-1, length)
    y = np.zeros(rows.shape, dtype=out_dtype)
    bound = 2**21 - 1
    for r, row in enumerate(rows):
        v = [clamp(int(t), -bound, bound) for t in row]
        mean = (2 * sum(v) + length) // (2 * length)
        var = sum(((t - mean) // 2**shift)**2 for t in v) + offset
        std = math.isqrt(min(var, 2**64 - 1)) * 2**shift
        for c in range(length):
            n = 0 if std == 0 else clamp(
                (v[c] - mean) * (2**39 // std) // 2**9, -2**31, 2**31 - 1)
            p = 0 if len(a["multiplier"]) == 1 else c
            y[r, c] = clamp(dyadic(n, a["multiplier"][p], a["shift"][p]) +
                            a["bias"][p], lo, hi)
    return y.reshape(x.shape)


def lookup(x, a, out_dtype):
    offset = 128 if x.dtype == np.int8 else 0
    table = a["table"]
    assert len(table) == 256
    return np.vectorize(lambda v: table[int(v) + offset])(x).astype(out_dtype)


def main():
    mlir, out = sys.argv[1], sys.argv[2]
    ops = read_attrs(mlir)
    # Scores of scale 1e-7 (N(0, 3) logits) in batch 0, the int32 extremes
    # in one row, small values (for the LayerNorm epsilon) in batch 1.
    acc = np.clip(np.round(rng.standard_normal((2, 3, 16)) * 3 / 1e-7),
                  -2**31, 2**31 - 1).astype(np.int64)
    acc[0, 1, :4] = [-2**31, 2**31 - 1, -2**31, 0]
    acc[1] = np.round(rng.standard_normal((3, 16)) * 2**18)
    acc[1, 2] = np.round(rng.standard_normal(16) * 1000)
    acc[1, 0] = 77  # a constant row
    acc = acc.astype(np.int32)
    a = rng.integers(-128, 128, size=(2, 3, 16)).astype(np.int8)
    mask = np.ones((2, 16), dtype=np.int64)
    mask[1, ::3] = 0
    mask[1, 1] = -5  # non-zero counts as kept
    g = rng.integers(-8000, 8000, size=(4, 64)).astype(np.int16)
    g[0, :4] = [-2**15, 2**15 - 1, 0, -1]
    x8 = rng.integers(-128, 128, size=(4, 64)).astype(np.int8)
    x8[0, :2] = [-128, 127]
    inputs = {"acc": acc, "a": a, "mask": mask, "g": g, "x8": x8}
    outputs = {
        "requant": requant(acc, ops["requant"], np.int8),
        "requant_add": requant_add(a, acc, ops["requant_add"], np.int16),
        "softmax": int_softmax(acc, mask, ops["softmax"]),
        "gelu": int_gelu(g, ops["gelu"], np.int8),
        "layer_norm": int_layer_norm(acc, ops["layer_norm"], np.int8),
        "lookup": lookup(x8, ops["lookup"], np.uint8),
    }
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    for name, value in inputs.items():
        np.save(os.path.join(out, name + ".npy"), value)
    for name, value in outputs.items():
        np.save(os.path.join(out, "expected", name + ".npy"), value)


if __name__ == "__main__":
    main()
