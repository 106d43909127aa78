#!/usr/bin/python3
"""NumPy oracles for the reference interpreter's lit tests.

    oracle.py CASE DIR

writes the inputs of test case CASE as DIR/<input>.npy and the expected
outputs as DIR/expected/<output>.npy. Expected values come from NumPy
(numpy.matmul, slicing, ...) or from naive loops written from the ONNX
operator specifications, never from qcc. Inputs are random with a fixed seed.
compare.py checks qcc-run's outputs against them.
"""

import math
import os
import sys

import numpy as np

rng = np.random.default_rng(20261124)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def conv_ref(x, w, b, group, strides, pads, dilations):
    """Naive N-d grouped cross-correlation (ONNX Conv), in float64."""
    n, c = x.shape[:2]
    m = w.shape[0]
    spatial = x.shape[2:]
    kernel = w.shape[2:]
    rank = len(spatial)
    begin, end = pads[:rank], pads[rank:]
    out_spatial = [
        (spatial[d] + begin[d] + end[d] - (kernel[d] - 1) * dilations[d] - 1)
        // strides[d] + 1 for d in range(rank)]
    y = np.zeros((n, m, *out_spatial))
    cg, mg = c // group, m // group
    for img in range(n):
        for f in range(m):
            g = f // mg
            for out in np.ndindex(*out_spatial):
                acc = 0.0 if b is None else float(b[f])
                for ch in range(cg):
                    for k in np.ndindex(*kernel):
                        idx = [out[d] * strides[d] - begin[d] + k[d] * dilations[d]
                               for d in range(rank)]
                        if all(0 <= idx[d] < spatial[d] for d in range(rank)):
                            acc += float(x[(img, g * cg + ch, *idx)]) * \
                                float(w[(f, ch, *k)])
                y[(img, f, *out)] = acc
    return y.astype(np.float32)


def conv2d_shifted_ref(x, w, pad):
    """Stride-1 2-D convolution as a sum of shifted channel contractions
    (an independent formulation, fast enough for big tensors)."""
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, m, oh, ow))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nchw,mc->nmhw", xp[:, :, i:i + oh, j:j + ow],
                           w[:, :, i, j].astype(np.float64))
    return y.astype(np.float32)


def pool_ref(x, kernel, strides, pads, dilations, kind, include_pad=False):
    """Naive N-d max/average pooling (ONNX MaxPool, AveragePool)."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    rank = len(spatial)
    begin, end = pads[:rank], pads[rank:]
    out_spatial = [
        (spatial[d] + begin[d] + end[d] - (kernel[d] - 1) * dilations[d] - 1)
        // strides[d] + 1 for d in range(rank)]
    y = np.zeros((n, c, *out_spatial))
    for img, ch in np.ndindex(n, c):
        for out in np.ndindex(*out_spatial):
            values = []
            for k in np.ndindex(*kernel):
                idx = [out[d] * strides[d] - begin[d] + k[d] * dilations[d]
                       for d in range(rank)]
                if all(0 <= idx[d] < spatial[d] for d in range(rank)):
                    values.append(float(x[(img, ch, *idx)]))
            if kind == "max":
                # NaN propagates (Python's max would skip it).
                y[(img, ch, *out)] = (np.nan if any(np.isnan(values))
                                      else max(values))
            else:
                divisor = int(np.prod(kernel)) if include_pad else len(values)
                y[(img, ch, *out)] = sum(values) / divisor
    return y.astype(x.dtype)


def softmax_ref(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def erf(x):
    return np.vectorize(math.erf)(x.astype(np.float64))


# Each case returns ({input name: array}, {output name: array}).

def case_conv():
    x = randn(2, 4, 9, 8)
    w = randn(6, 2, 3, 2)
    b = randn(6)
    xd = randn(1, 4, 7, 7)
    wd = randn(8, 1, 3, 3)
    w1 = randn(5, 4, 1, 1)
    x3 = randn(1, 2, 4, 5, 3)
    w3 = randn(3, 2, 2, 3, 2)
    # One big image.
    xb = randn(1, 64, 90, 90)
    wb = randn(16, 64, 3, 3, scale=0.1)
    # Images big enough that the phase planes are built two images at a
    # time (a tile of 2, then a tile of 1).
    xq = randn(3, 64, 150, 150)
    wq = randn(8, 64, 3, 3, scale=0.1)
    # Strided rows wider than a vector, with a bias; stride 3 with dilation;
    # 1-d.
    xs = randn(2, 5, 21, 37)
    ws = randn(4, 5, 3, 3)
    bs = randn(4)
    ws3 = randn(4, 5, 2, 3)
    xl = randn(2, 3, 40)
    wl = randn(4, 3, 5)
    return ({"x": x, "w": w, "b": b, "xd": xd, "wd": wd, "w1": w1, "x3": x3,
             "w3": w3, "xb": xb, "wb": wb, "xq": xq, "wq": wq, "xs": xs,
             "ws": ws, "bs": bs, "ws3": ws3, "xl": xl, "wl": wl},
            {"grouped": conv_ref(x, w, b, 2, [2, 1], [1, 0, 2, 1], [1, 2]),
             "depthwise": conv_ref(xd, wd, None, 4, [1, 1], [1, 1, 1, 1],
                                   [2, 2]),
             "dwstride": conv_ref(xd, wd, None, 4, [2, 3], [0, 2, 1, 0],
                                  [1, 1]),
             "pointwise": conv_ref(x, w1, None, 1, [1, 1], [0, 0, 0, 0],
                                   [1, 1]),
             "conv3d": conv_ref(x3, w3, None, 1, [1, 2, 1], [0, 1, 0, 1, 0, 1],
                                [1, 1, 1]),
             "big": conv2d_shifted_ref(xb, wb, 1),
             "batched": conv2d_shifted_ref(xq, wq, 1),
             "strided": conv_ref(xs, ws, bs, 1, [2, 2], [1, 1, 1, 1], [1, 1]),
             "strided3": conv_ref(xs, ws3, None, 1, [3, 3], [0, 2, 1, 0],
                                  [1, 2]),
             "conv1d": conv_ref(xl, wl, None, 1, [2], [2, 1], [2])})


def case_matmul():
    a = randn(2, 1, 3, 4)
    b = randn(5, 4, 6)
    v = randn(4)
    m = randn(3, 4)
    c = randn(2, 3, 4)
    d = randn(4, 7)
    p = randn(70, 300)
    q = randn(300, 90)

    def mm(x, y):
        return np.matmul(x.astype(np.float64), y.astype(np.float64)).astype(
            np.float32)
    return ({"a": a, "b": b, "v": v, "m": m, "c": c, "d": d, "p": p, "q": q},
            {"batched": mm(a, b), "vec_lhs": mm(v, b), "vec_rhs": mm(m, v),
             "folded": mm(c, d), "large": mm(p, q)})


def case_softmax():
    x = randn(2, 5, 7, scale=30.0)
    return ({"x": x}, {"last": softmax_ref(x, 2), "middle": softmax_ref(x, 1),
                       "first": softmax_ref(x, 0)})


def case_layernorm():
    x = randn(2, 3, 8) + 3.0
    s8, b8 = randn(8), randn(8)
    s38 = randn(3, 8)

    def ln(x, axis, scale, bias, eps):
        x = x.astype(np.float64)
        axes = tuple(range(axis, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + eps) * scale
        return (y if bias is None else y + bias).astype(np.float32)
    return ({"x": x, "s8": s8, "b8": b8, "s38": s38},
            {"last": ln(x, 2, s8, b8, 1e-5), "two": ln(x, 1, s38, None, 1e-3)})


def case_pooling():
    x = randn(2, 3, 9, 8)
    x1 = randn(1, 2, 11)
    # Wide rows: whole vectors and tails of the vectorised unpadded path, and
    # a NaN that must win its windows.
    xw = randn(1, 2, 12, 41)
    xw[0, 1, 5, 17] = np.nan
    return ({"x": x, "x1": x1, "xw": xw},
            {"max": pool_ref(x, [3, 2], [2, 2], [1, 0, 1, 1], [1, 2], "max"),
             "max_ceil": pool_ref(x, [2, 2], [2, 2], [0, 0, 1, 0], [1, 1],
                                  "max"),
             "avg_excl": pool_ref(x, [3, 3], [2, 1], [1, 1, 1, 1], [1, 1],
                                  "avg"),
             "avg_incl": pool_ref(x, [3, 3], [2, 1], [1, 1, 1, 1], [1, 1],
                                  "avg", include_pad=True),
             "max1d": pool_ref(x1, [3], [2], [1, 1], [1], "max"),
             "max_wide": pool_ref(xw, [2, 2], [2, 2], [0, 0, 0, 0], [1, 1],
                                  "max"),
             "max_wide_s1": pool_ref(xw, [3, 2], [1, 1], [0, 0, 0, 0], [1, 1],
                                     "max"),
             "max_wide_s3": pool_ref(xw, [2, 3], [1, 3], [0, 0, 0, 0], [1, 1],
                                     "max"),
             "gap": x.astype(np.float64).mean(axis=(2, 3), keepdims=True)
             .astype(np.float32)})


def case_gather():
    data = randn(4, 5, 3)
    idx = np.array([[-1, 0], [2, -5]], dtype=np.int64)
    idx0 = np.array([3, -4, -1], dtype=np.int32)
    return ({"data": data, "idx": idx, "idx0": idx0},
            {"axis1": np.take(data, idx, axis=1),
             "axis0": np.take(data, idx0, axis=0)})


def case_slice():
    x = randn(5, 6, 7)
    return ({"x": x},
            {"reversed": x[::-1, 4:0:-2, :],
             "stepped": x[1:4, ::3, -1:-8:-3],
             "tail": x[:, -2:, 2:5]})


def case_reduce():
    x = randn(3, 4, 5, 6)
    i = rng.integers(-50, 50, size=(3, 4, 5)).astype(np.int64)
    x64 = x.astype(np.float64)
    return ({"x": x, "i": i},
            {"sum02": x64.sum(axis=(0, 2), keepdims=True).astype(np.float32),
             "mean13": x64.mean(axis=(1, 3)).astype(np.float32),
             "max3": x.max(axis=3, keepdims=True),
             "maxall": x.max(keepdims=True),
             "isum": i.sum(axis=1, keepdims=True),
             "imax": i.max(axis=(0, 2), keepdims=False)})


def case_cast():
    f = (randn(4, 6) * 100.0).astype(np.float32)
    f[0, :3] = [0.0, -0.0, 0.999]
    i = rng.integers(-1000, 1000, size=(3, 5)).astype(np.int32)
    big = rng.integers(-2**40, 2**40, size=(6,)).astype(np.int64)
    return ({"f": f, "i": i, "big": big},
            {"f2i": f.astype(np.int32), "f2b": f.astype(np.bool_),
             "i2i8": i.astype(np.int8), "i2u8": i.astype(np.uint8),
             "i2f": i.astype(np.float32), "i64to32": big.astype(np.int32),
             "b2f": f.astype(np.bool_).astype(np.float32)})


def case_elementwise():
    a = randn(2, 3, 4)
    b = randn(3, 1) + 2.5
    p = np.abs(randn(2, 3, 4)) + 0.1
    i = rng.integers(-100, 100, size=(3, 4)).astype(np.int32)
    j = rng.integers(1, 9, size=(4,)).astype(np.int32)
    j[1] = -3
    k = rng.integers(-2**40, 2**40, size=(5,)).astype(np.int64)
    cond = rng.integers(0, 2, size=(3, 1)).astype(np.bool_)

    def f32(v):
        return np.asarray(v).astype(np.float32)
    a64 = a.astype(np.float64)
    # C division: truncation toward zero (NumPy's // floors).
    trunc_div = (np.sign(i) * np.sign(j) * (np.abs(i) // np.abs(j))).astype(
        np.int32)
    return ({"a": a, "b": b, "p": p, "i": i, "j": j, "k": k, "cond": cond},
            {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b,
             "pow": f32(np.power(p.astype(np.float64), b.astype(np.float64))),
             "iadd": i + j, "imul": i * j, "idiv": trunc_div,
             "kmul": k * k, "eq": i == j, "lt": a < b, "gt": i > j,
             "where": np.where(cond, a, b),
             "sqrt": f32(np.sqrt(p.astype(np.float64))),
             "exp": f32(np.exp(a64)), "erf": f32(erf(a)),
             "tanh": f32(np.tanh(a64)), "sigmoid": f32(1 / (1 + np.exp(-a64))),
             "neg": -i, "abs": np.abs(a), "relu": np.maximum(a, 0),
             "not": ~cond, "leaky": np.where(a >= 0, a, a * np.float32(0.1)),
             "clip": np.clip(a, -0.5, 0.75),
             "gelu": f32(a64 * 0.5 * (1 + erf(a64 / math.sqrt(2)))),
             "gelu_tanh": f32(a64 * 0.5 * (1 + np.tanh(
                 math.sqrt(2 / math.pi) * (a64 + 0.044715 * a64 ** 3))))})


def case_pad():
    x = randn(3, 4)
    i = rng.integers(-9, 9, size=(2, 3)).astype(np.int64)
    return ({"x": x, "i": i},
            {"constant": np.pad(x, ((1, 2), (0, 3)), constant_values=1.5),
             "reflect": np.pad(x, ((2, 1), (3, 2)), mode="reflect"),
             "edge": np.pad(x, ((0, 2), (4, 1)), mode="edge"),
             "ipad": np.pad(i, ((1, 0), (2, 1)), constant_values=7)})


def case_quantize():
    x = randn(2, 3, 4, scale=3.0)
    x[0, 0, :] = [0.5, 1.5, 2.5, -2.5]  # ties round to even
    scales = np.array([0.1, 0.02, 0.5], dtype=np.float32)
    zps = np.array([3, -4, 0], dtype=np.int8)
    q = np.clip(np.rint(x / np.float32(0.05)) + 128, 0, 255).astype(np.uint8)
    qa = np.clip(np.rint(x / scales[None, :, None]) + zps[None, :, None],
                 -128, 127).astype(np.int8)
    deq = ((qa.astype(np.int32) - zps[None, :, None]) *
           scales[None, :, None]).astype(np.float32)
    return ({"x": x}, {"q": q, "qa": qa, "deq": deq})


def case_batchnorm():
    x = randn(2, 3, 4, 5)
    s, b, m = randn(3), randn(3), randn(3)
    v = np.abs(randn(3)) + 0.5
    shape = (1, 3, 1, 1)
    y = (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + 1e-3) * \
        s.reshape(shape) + b.reshape(shape)
    return ({"x": x, "s": s, "b": b, "m": m, "v": v},
            {"y": y.astype(np.float32)})


def case_movement():
    x = randn(2, 3, 4)
    y = randn(2, 1, 4)
    z = randn(2, 2, 4)
    e = randn(3, 1)
    return ({"x": x, "y": y, "z": z, "e": e},
            {"transposed": np.transpose(x, (2, 0, 1)),
             "concat": np.concatenate([x, y, z], axis=1),
             "expanded": np.broadcast_to(e, (2, 3, 5)).copy(),
             "flat": x.reshape(6, 4)})


def case_attention():
    q, k, v = randn(2, 3, 4, 8), randn(2, 3, 6, 8), randn(2, 3, 6, 5)
    bias = randn(4, 6)
    mask = np.array([[1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1]], dtype=np.int64)
    q64, k64, v64 = (t.astype(np.float64) for t in (q, k, v))
    scores = q64 @ np.swapaxes(k64, -1, -2) * 0.25 + bias + \
        ((1 - mask) * -10000.0)[:, None, None, :]
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return ({"q": q, "k": k, "v": v, "bias": bias, "mask": mask},
            {"result0": (p @ v64).astype(np.float32)})


def case_integer():
    a = rng.integers(-128, 128, size=(3, 40)).astype(np.int8)
    b = rng.integers(0, 256, size=(40, 5)).astype(np.uint8)
    x = rng.integers(0, 256, size=(1, 3, 6, 6)).astype(np.uint8)
    w = rng.integers(-128, 128, size=(4, 3, 3, 3)).astype(np.int8)
    bias = rng.integers(-1000, 1000, size=(4,)).astype(np.int32)
    wd = rng.integers(-128, 128, size=(3, 1, 2, 2)).astype(np.int8)
    az = rng.integers(0, 256, size=(2, 3, 7)).astype(np.uint8)
    bz = rng.integers(-128, 128, size=(7, 4)).astype(np.int8)

    def conv(x, w, b, group, pads):
        # Exact: small integers are exact in float64.
        y = conv_ref(x.astype(np.float64), w.astype(np.float64), b, group,
                     [1, 1], pads, [1, 1])
        return y.astype(np.int32)
    a64 = a.astype(np.int64)
    return ({"a": a, "b": b, "x": x, "w": w, "bias": bias, "wd": wd,
             "az": az, "bz": bz},
            {"mm": (a64 @ b.astype(np.int64)).astype(np.int32),
             "conv": conv(x, w, bias, 1, [0, 0, 0, 0]),
             "dw": conv(x, wd, None, 3, [1, 0, 0, 1]),
             "mmi": ((az.astype(np.int64) - 12) @
                     (bz.astype(np.int64) + 3)).astype(np.int32)})


def main():
    case, out = sys.argv[1], sys.argv[2]
    inputs, outputs = globals()["case_" + case]()
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    for name, value in inputs.items():
        np.save(os.path.join(out, name + ".npy"), value)
    for name, value in outputs.items():
        np.save(os.path.join(out, "expected", name + ".npy"),
                np.ascontiguousarray(value))


if __name__ == "__main__":
    main()
