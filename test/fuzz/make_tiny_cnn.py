#!/usr/bin/python3
"""Writes tiny_cnn.onnx, a fuzzing seed: a small CNN (Conv-BatchNorm-Relu-
MaxPool, twice, then GlobalAveragePool-Flatten-Gemm) on 1x28x28 images,
opset 13, batch dimension `batch` (symbolic) or fixed. Weights are seeded
random numbers: the model exists to exercise the importer, not to classify.
make_corpus.py calls main(path, batch=1); standalone:

    /usr/bin/python3 test/fuzz/make_tiny_cnn.py tiny_cnn.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(path, batch="batch"):
    rng = np.random.default_rng(2026)

    def init(name, shape, scale=0.3):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [
        init("conv1.w", (8, 1, 3, 3)), init("conv1.b", (8,)),
        init("bn1.scale", (8,)), init("bn1.bias", (8,)), init("bn1.mean", (8,)),
        numpy_helper.from_array(rng.uniform(0.5, 2.0, 8).astype(np.float32), "bn1.var"),
        init("conv2.w", (16, 8, 3, 3)), init("conv2.b", (16,)),
        init("bn2.scale", (16,)), init("bn2.bias", (16,)), init("bn2.mean", (16,)),
        numpy_helper.from_array(rng.uniform(0.5, 2.0, 16).astype(np.float32), "bn2.var"),
        init("fc.w", (10, 16)), init("fc.b", (10,)),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "conv1.w", "conv1.b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"], ["b1"], name="bn1"),
        helper.make_node("Relu", ["b1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c2", "bn2.scale", "bn2.bias", "bn2.mean", "bn2.var"], ["b2"], name="bn2"),
        helper.make_node("Relu", ["b2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 10])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="qcc test/fuzz/make_tiny_cnn.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tiny_cnn.onnx")
