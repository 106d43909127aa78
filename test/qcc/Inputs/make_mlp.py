#!/usr/bin/python3
"""Writes a small float MLP classifier and its data for the quantization tests.

    make_mlp.py DIR

DIR/mlp.onnx: probs = Softmax(Relu(x @ W1 + b1) @ W2 + b2), x float[4,16]
(weights from a fixed seed). DIR/calib.npz and DIR/calib/x.npy: 64 samples
(stacked along dim 0) for calibration; DIR/x.npy: a held-out input;
DIR/expected/probs.npy: the float result computed here with NumPy (the
oracle; qcc's integer result must be close, not equal).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "calib"), exist_ok=True)
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    rng = np.random.default_rng(7)
    w1 = (rng.standard_normal((16, 8)) * 0.4).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((8, 4)) * 0.6).astype(np.float32)
    b2 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="fc1_bias"),
        helper.make_node("Relu", ["h1"], ["h"], name="relu"),
        helper.make_node("MatMul", ["h", "W2"], ["l0"], name="fc2"),
        helper.make_node("Add", ["l0", "b2"], ["logits"], name="fc2_bias"),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1, name="softmax"),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [4, 4])],
        [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "W2"), numpy_helper.from_array(b2, "b2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "mlp.onnx"))

    calib = rng.standard_normal((64, 16)).astype(np.float32)
    np.savez(os.path.join(out, "calib.npz"), x=calib)
    np.save(os.path.join(out, "calib", "x.npy"), calib)
    np.savez(os.path.join(out, "wrong.npz"), y=calib)
    x = rng.standard_normal((4, 16)).astype(np.float32)
    np.save(os.path.join(out, "x.npy"), x)
    logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    e = np.exp(logits - logits.max(-1, keepdims=True))
    np.save(os.path.join(out, "expected", "probs.npy"),
            (e / e.sum(-1, keepdims=True)).astype(np.float32))


if __name__ == "__main__":
    main()
