#!/usr/bin/python3
"""Measures the error of each integer-only op against float, in output LSBs.

    op_error.py QCC_RUN WORKDIR [--check]

For each single-op float function below, calibrates on its own inputs with
min/max (so nothing is clipped), runs `qcc-run --interp=int`, and compares
it with a float64 NumPy evaluation of the op on the *quantized* input
(x rounded to the 8-bit grid qcc's boundary quantize uses), so the error
measured is the integer algorithm's plus the output rounding, not the input
quantization every int8 op shares. Prints the max error over the test
inputs in units of the output's quantization step (LSB: the output's
dequantize scale; for attention, whose output is an int32 accumulator, the
step of the 8-bit v). With --check, fails when an op exceeds its documented
bound (BOUNDS, docs/IntegerSemantics.md section 7).
"""
import math
import os
import subprocess
import sys

import numpy as np

ERF = np.vectorize(math.erf)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def quantize(x, scale):
    """qcc.quantize: round half to even, i8 saturation."""
    return np.clip(np.rint(x / scale), -128, 127) * scale


def reference(name, xq):
    """The float op on the quantized input, in float64."""
    if name == "layer_norm":
        mu = xq.mean(-1, keepdims=True)
        var = ((xq - mu) ** 2).mean(-1, keepdims=True)
        return 1.25 * (xq - mu) / np.sqrt(var + 1e-5) - 0.5
    if name == "gelu":
        return 0.5 * xq * (1 + ERF(xq / math.sqrt(2)))
    if name == "softmax":
        return softmax(xq)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-xq))
    if name == "tanh":
        return np.tanh(xq)
    if name == "avg_pool":
        n, c, h, w = xq.shape
        return xq.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))
    if name == "mean":
        return xq.mean(-1)
    if name == "mean8":
        return xq.mean(-1)[:, None]
    if name == "residual":
        return 3 * xq + np.maximum(xq, 0)
    if name == "attention":
        # k = tanh(x) is itself an 8-bit table output at scale 1/127.
        k = np.rint(np.tanh(xq) * 127) / 127
        p = softmax(0.35 * xq @ np.swapaxes(k, -1, -2))
        return p @ xq
    raise KeyError(name)

# Documented bounds, in output LSBs (see docs/IntegerSemantics.md §7).
# 0.51 = one correct rounding (0.5) plus float64 noise of the reference.
BOUNDS = {
    "layer_norm": 2.0,
    "gelu": 2.0,
    "softmax": 2.0,
    "attention": 3.0,
    "sigmoid": 0.51,
    "tanh": 0.51,
    "avg_pool": 0.51,
    "mean": 0.51,
    "mean8": 0.51,
    "residual": 1.01,  # two branches, each rounded once
}

SHAPE = "16x64"
OPS = {
    "layer_norm": ("16x64", "16x64", """
  %g = qcc.constant dense<1.25> : tensor<64xf32>
  %b = qcc.constant dense<-0.5> : tensor<64xf32>
  %y = qcc.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<16x64xf32>"""),
    "gelu": ("16x64", "16x64", """
  %y = qcc.gelu %x : tensor<16x64xf32>"""),
    "softmax": ("16x64", "16x64", """
  %y = qcc.softmax %x {axis = 1 : i64} : tensor<16x64xf32>"""),
    "sigmoid": ("16x64", "16x64", """
  %y = qcc.sigmoid %x : tensor<16x64xf32>"""),
    "tanh": ("16x64", "16x64", """
  %y = qcc.tanh %x : tensor<16x64xf32>"""),
    "avg_pool": ("2x4x8x8", "2x4x4x4", """
  %y = qcc.avg_pool %x {kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<2x4x8x8xf32>) -> tensor<2x4x4x4xf32>"""),
    "mean": ("16x64", "16", """
  %y = qcc.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : (tensor<16x64xf32>) -> tensor<16xf32>"""),
    "mean8": ("16x64", "16x1", """
  %m = qcc.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : (tensor<16x64xf32>) -> tensor<16xf32>
  %y = qcc.reshape %m : tensor<16xf32> -> tensor<16x1xf32>"""),
    "residual": ("16x64", "16x64", """
  %c = qcc.constant dense<3.0> : tensor<16x64xf32>
  %m = qcc.mul %x, %c : (tensor<16x64xf32>, tensor<16x64xf32>) -> tensor<16x64xf32>
  %r = qcc.relu %x : tensor<16x64xf32>
  %y = qcc.add %m, %r : (tensor<16x64xf32>, tensor<16x64xf32>) -> tensor<16x64xf32>"""),
    "attention": ("1x2x16x8", "1x2x16x8", """
  %k = qcc.tanh %x : tensor<1x2x16x8xf32>
  %y = qcc.attention %x, %k, %x {scale = 0.35 : f32} : (tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x16x8xf32>"""),
}


def tensor_type(shape):
    return f"tensor<{shape}xf32>"


def main():
    qcc_run, work = sys.argv[1], sys.argv[2]
    check = "--check" in sys.argv
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(11)
    failed = 0
    for name, (inp, out, body) in OPS.items():
        shape = [int(d) for d in inp.split("x")]
        path = os.path.join(work, f"{name}.mlir")
        with open(path, "w") as f:
            f.write(f"func.func @main(%x: {tensor_type(inp)} {{qcc.name = \"x\"}}) -> "
                    f"({tensor_type(out)} {{qcc.name = \"y\"}}) {{{body}\n"
                    f"  return %y : {tensor_type(out)}\n}}\n")
        x = (rng.standard_normal([4 * shape[0]] + shape[1:]) * 2.0 + 0.3).astype(np.float32)
        calib = os.path.join(work, f"{name}_calib.npz")
        np.savez(calib, x=x)
        scale = float(np.float32(np.abs(x).max() / 127))
        worst = 0.0
        for i in range(4):
            xi = os.path.join(work, f"{name}_x{i}.npy")
            np.save(xi, x[i * shape[0]:(i + 1) * shape[0]])
            common = [qcc_run, path, "--input", f"x={xi}"]
            idir = os.path.join(work, f"{name}_i{i}")
            ir = os.path.join(work, f"{name}_int.mlir")
            subprocess.run(common + ["--output-dir", idir, "--interp=int", "--calibration",
                                     calib, "--calibration-method", "minmax",
                                     "--emit-integer-ir", ir],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ref = reference(name, quantize(
                x[i * shape[0]:(i + 1) * shape[0]].astype(np.float64), scale))
            got = np.load(os.path.join(idir, "y.npy")).astype(np.float64)
            worst = max(worst, float(np.abs(got - ref).max()))
        # The output step: the dequantize scale of the integer graph.
        text = open(ir).read()
        scales = text[text.rindex("qcc.dequantize"):].split("scales = array<f32: ")[1]
        lsb = max(float(s) for s in scales.split(">")[0].split(","))
        if name == "attention":
            lsb = scale  # v is x at the input's 8-bit scale
        err = worst / lsb
        ok = err <= BOUNDS[name]
        failed += not ok
        print(f"{name}: max |int8 - float| = {worst:.4g} = {err:.2f} LSB "
              f"(LSB {lsb:.4g}, bound {BOUNDS[name]}) {'ok' if ok else 'EXCEEDED'}")
    if check and failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
