#!/usr/bin/python3
"""Writes a QDQ (QuantizeLinear/DequantizeLinear) version of a float ONNX model.

    /usr/bin/python3 test/models/make_qdq.py MODEL.onnx OUT.onnx --calibration CALIB.npz
        [--threads N] [--transpose-gemm] [--float-biases] [-v]
    /usr/bin/python3 test/models/make_qdq.py --all [--data DIR] [--out-dir DIR] [...]

The result is ONNX Runtime's "QDQ format" (what onnxruntime.quantization's
quantize_static(quant_format=QDQ) writes): the graph stays a float graph,
every quantized tensor t is followed by QuantizeLinear -> DequantizeLinear and
its consumers read the dequantized copy, and weights are stored as integers
behind a DequantizeLinear. ONNX Runtime runs it as is (and fuses DQ -> Conv ->
Q into QLinearConv, DQ -> MatMul into MatMulIntegerToFloat, ...); qcc takes
the scales from it and should need no calibration (docs/Quantization.md;
test/models/qdq_check.py checks it).

Steps:

1. Float pre-processing (semantics-preserving, as ORT's quant_pre_process):
   `Identity` nodes that copy an initializer are removed (their users read the
   initializer), and an inference-mode `BatchNormalization` that is the only
   user of a `Conv` with constant weights is folded into that Conv
   (W' = W*k, b' = (b - mean)*k + beta, k = gamma/sqrt(var + eps), in float64).
   BN must be folded before the weights are quantized, or the int8 weights
   would not be the ones that are multiplied.

2. Activation ranges (calibration): every tensor that will get a Q/DQ pair
   (below) is added as an extra graph output (through an Identity, with the
   float type from onnx.shape_inference), and the float model runs in ONNX
   Runtime 1.30 (utils/ort-run.js, through node) on the calibration inputs:
   an .npz keyed by graph input name, samples along dimension 0 (bert:
   input_ids and attention_mask, int64). The range of a tensor is its min and
   max over all samples (ORT's default MinMax calibration).

3. Activations: per tensor, zero point 0. A range with min >= 0 (after ReLU)
   is uint8 with scale max/255; anything else int8 symmetric with scale
   max(|min|, |max|)/127. This is the rule qcc's own calibration uses, so
   a QDQ model and a calibrated float model give the same kind of integer
   graph. A Q/DQ pair goes on every float graph input and on every float
   tensor computed by a node from the input data, except:
     * graph outputs (the logits stay float: qcc dequantizes the int32
       accumulator of the last Gemm, ORT runs the Gemm on DQ'd operands);
     * tensors read only by Shape, and tensors that do not depend on the
       input data (shape arithmetic, the vit class token Expand, bert's
       position embedding Gather): they are constants once shapes are fixed;
     * mask-derived tensors: float tensors computed only from integer inputs
       through Cast (bert's attention mask, its additive form and the token
       count); they are integer-valued and qcc keeps them as integers;
     * data movement of a quantized tensor (Reshape, Transpose, Flatten,
       Squeeze, Unsqueeze, Slice, Gather of an activation, MaxPool): the
       moved values are already on the input's grid; they keep its scale
       (ORT's QDQ propagation does the same);
     * tensors inside an op that qcc and ORT treat as one fused operation,
       quantized only at the fused op's output:
         - X -> Relu where Relu is X's only user (ReLU folds into the
           requantization to uint8; ORT's "removable activation"),
         - MatMul -> Add(1-D bias initializer): a Linear layer,
         - GELU written as Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5,
         - attention: MatMul(q, Transpose(k)) -> Mul/Div by a scalar
           -> [Add mask] -> Softmax -> MatMul(., v); only q, k, v and the
           result are quantized (qcc computes scores in int32 and the
           softmax output at 2^-8),
         - masked mean pooling: Mul(x, mask) -> ReduceSum -> Div(., count):
           products and sums stay in int32 in qcc; the mean is quantized.

4. Weights: the weight initializer of every Conv (axis 0), MatMul ([K, N],
   axis 1) and Gemm (B, axis 0 with transB=1, else 1) becomes int8, symmetric
   per output channel: s_c = max|w_c|/127 (1 for an all-zero channel),
   q = clip(round(w/s_c), -127, 127), zero point 0, then
   DequantizeLinear(axis). Biases (the Conv bias, Gemm's C, and the 1-D
   initializer added to a MatMul result) become int32 with scale
   s_x * s_c (float32 product; s_x is the scale of the op's quantized input),
   zero point 0: the integer that is added to the int32 accumulator. Other
   initializers (LayerNorm gamma/beta, embedding tables, the position
   embedding, the class token) stay float: ORT runs those ops in float on
   DQ'd inputs, qcc folds them into its integer ops.

The opset and IR version of the input model are kept (DequantizeLinear with
an axis needs opset >= 13). -v prints the decision for every float tensor
(and its range).

Two variants, not used for the committed models: --transpose-gemm stores a
Gemm's transB=1 weight transposed ([K, N], transB=0, axis 1), and
--float-biases keeps biases float (ORT's QuantizeBias=False). They are for
consumers that do not handle a transposed or an int32 DequantizeLinear
operand, and for telling such problems apart from others.

--all makes the committed models: calibration inputs from the Fashion-MNIST
*training* split (CALIB_SAMPLES images of a fixed permutation, seed
CALIB_SEED; bert: random lengths 16..49 padded to 49 tokens; the same samples
as int8_accuracy.py's calibration set), written to
DIR/qdq_calib_image.npz and DIR/qdq_calib_bert.npz (default DIR
build/models-data, not committed), then test/models/{cnn,vit,bert}-qdq.onnx
from the opset 17 float models.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(ROOT, "utils", "ort-run.js")

CALIB_SAMPLES = 1000
CALIB_SEED = 20261124

# Ops that move or select values without computing new ones.
DATA_MOVEMENT = {"Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze",
                 "Slice", "Gather", "MaxPool", "Identity", "Expand"}
FLOAT = TensorProto.FLOAT


# ---------------------------------------------------------------- graph helpers

class Graph:
    """Indexes a GraphProto: producers, consumers, initializers."""

    def __init__(self, model):
        self.model = model
        self.g = model.graph
        self.reindex()

    def reindex(self):
        g = self.g
        self.init = {t.name: t for t in g.initializer}
        self.producer = {}
        self.consumers = {}
        for n in g.node:
            for o in n.output:
                if o:
                    self.producer[o] = n
            for i in n.input:
                if i:
                    self.consumers.setdefault(i, []).append(n)
        self.inputs = {i.name for i in g.input if i.name not in self.init}
        self.outputs = {o.name for o in g.output}

    def array(self, name):
        return numpy_helper.to_array(self.init[name])

    def constant(self, name):
        """The value of an initializer or Constant node output, or None."""
        if name in self.init:
            return self.array(name)
        n = self.producer.get(name)
        if n is not None and n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t)
        return None

    def users(self, name):
        return self.consumers.get(name, [])

    def only_user(self, name):
        users = self.users(name)
        if len(users) == 1 and name not in self.outputs:
            return users[0]
        return None


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def replace_input(graph, old, new, skip=None):
    for n in graph.node:
        if n is skip:
            continue
        for k, i in enumerate(n.input):
            if i == old:
                n.input[k] = new


# ---------------------------------------------------------------- 1. pre-processing

def preprocess(model, transpose_gemm=False):
    g = model.graph
    G = Graph(model)
    # Identity of an initializer: read the initializer directly.
    for n in list(g.node):
        if n.op_type == "Identity" and n.input[0] in G.init and n.output[0] not in G.outputs:
            replace_input(g, n.output[0], n.input[0])
            g.node.remove(n)
    G.reindex()
    # Fold inference-mode BatchNormalization into its Conv.
    folded = 0
    for bn in list(g.node):
        if bn.op_type != "BatchNormalization" or attr(bn, "training_mode", 0):
            continue
        conv = G.producer.get(bn.input[0])
        if conv is None or conv.op_type != "Conv" or G.only_user(conv.output[0]) is not bn:
            continue
        params = [G.constant(i) for i in bn.input[1:5]]
        w = G.constant(conv.input[1])
        if w is None or any(p is None for p in params):
            continue
        gamma, beta, mean, var = (p.astype(np.float64) for p in params)
        eps = attr(bn, "epsilon", 1e-5)
        k = gamma / np.sqrt(var + eps)
        b = G.constant(conv.input[2]).astype(np.float64) if len(conv.input) > 2 and conv.input[2] \
            else np.zeros(w.shape[0])
        w2 = (w.astype(np.float64) * k[:, None, None, None]).astype(np.float32)
        b2 = ((b - mean) * k + beta).astype(np.float32)
        wname, bname = conv.input[1] + "_bnfold", conv.name + "_bias_bnfold"
        g.initializer.extend([numpy_helper.from_array(w2, wname),
                              numpy_helper.from_array(b2, bname)])
        del conv.input[1:]
        conv.input.extend([wname, bname])
        conv.output[0] = bn.output[0]
        g.node.remove(bn)
        folded += 1
    if transpose_gemm:
        for n in g.node:
            if n.op_type == "Gemm" and attr(n, "transB", 0) and n.input[1] in G.init:
                b = G.array(n.input[1])
                name = n.input[1] + "_kn"
                g.initializer.append(numpy_helper.from_array(np.ascontiguousarray(b.T), name))
                n.input[1] = name
                for a in n.attribute:
                    if a.name == "transB":
                        a.i = 0
    remove_unused_initializers(model)
    return folded


def remove_unused_initializers(model):
    g = model.graph
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    inputs = [i for i in g.input if i.name in used or i.name not in {t.name for t in keep}]
    del g.input[:]
    g.input.extend(inputs)


# ---------------------------------------------------------------- 3. what gets Q/DQ

def elem_types(model):
    inferred = shape_inference.infer_shapes(model)
    types = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + \
            list(inferred.graph.output):
        types[vi.name] = vi.type.tensor_type.elem_type
    for t in model.graph.initializer:
        types[t.name] = t.data_type
    return types


def classify(model):
    """Returns (quantized, carried, reasons): quantized is the ordered list of
    tensors that get their own Q/DQ pair, carried maps a data-movement output
    to the quantized tensor whose scale it keeps."""
    G = Graph(model)
    types = elem_types(model)
    is_float = lambda t: types.get(t) == FLOAT  # noqa: E731

    # Depends on the input data (not just on shapes and constants)?
    dynamic = set(G.inputs)
    for n in G.g.node:
        if n.op_type == "Shape":
            continue
        if any(i in dynamic for i in n.input if i):
            dynamic.update(o for o in n.output if o)

    # Mask-derived: float values computed only from integer inputs.
    maskish = set()
    for n in G.g.node:
        if n.op_type == "Gather" and n.input[0] not in dynamic:
            continue  # an embedding lookup: table values, not integers
        dyn_in = [i for i in n.input if i and i in dynamic]
        if dyn_in and all(not is_float(i) or i in maskish for i in dyn_in):
            maskish.update(o for o in n.output if o and is_float(o))

    internal = {}

    def mark(t, why):
        if t:
            internal[t] = why

    for n in G.g.node:
        out = n.output[0] if n.output else None
        user = G.only_user(out) if out else None
        # X -> Relu.
        if user is not None and user.op_type == "Relu" and n.op_type != "Relu":
            mark(out, "Relu input")
        # MatMul -> Add(bias).
        if n.op_type == "MatMul" and user is not None and user.op_type == "Add":
            other = [i for i in user.input if i != out]
            c = G.constant(other[0]) if len(other) == 1 else None
            if c is not None and c.ndim == 1:
                mark(out, "MatMul before its bias Add")
        # GELU: Div/Mul(x, c) -> Erf -> Add 1 -> Mul x -> [Mul 0.5].
        if n.op_type == "Erf":
            d = G.producer.get(n.input[0])
            a = G.only_user(n.output[0])
            m1 = G.only_user(a.output[0]) if a is not None and a.op_type == "Add" else None
            if d is not None and d.op_type in ("Div", "Mul") and m1 is not None and \
                    m1.op_type == "Mul" and d.input[0] in m1.input:
                for t in (d.output[0], n.output[0], a.output[0]):
                    mark(t, "inside GELU")
                m2 = G.only_user(m1.output[0])
                if m2 is not None and m2.op_type == "Mul" and \
                        any(G.constant(i) is not None for i in m2.input):
                    mark(m1.output[0], "inside GELU")
        # Attention: MatMul(q, Transpose(k)) [* c] [+ mask] -> Softmax -> MatMul(., v).
        if n.op_type == "Softmax":
            chain = [n.output[0]]
            t = n.input[0]
            p = G.producer.get(t)
            pv = G.only_user(n.output[0])
            if pv is None or pv.op_type != "MatMul" or pv.input[0] != n.output[0]:
                continue
            if p is not None and p.op_type == "Add":
                chain.append(t)
                t = next((i for i in p.input if i not in maskish), p.input[0])
                p = G.producer.get(t)
            if p is not None and p.op_type in ("Mul", "Div") and \
                    any(G.constant(i) is not None for i in p.input):
                chain.append(t)
                t = next(i for i in p.input if G.constant(i) is None)
                p = G.producer.get(t)
            if p is not None and p.op_type == "MatMul":
                chain.append(t)
                kt = G.producer.get(p.input[1])
                if kt is not None and kt.op_type == "Transpose":
                    chain.append(p.input[1])
                for t in chain:
                    mark(t, "inside attention")
        # Masked mean: Mul(x, mask) -> ReduceSum -> Div(., count).
        if n.op_type == "Mul" and any(i in maskish for i in n.input) and \
                not all(i in maskish or i not in dynamic for i in n.input):
            users = G.users(out)
            if users and all(u.op_type == "ReduceSum" for u in users):
                mark(out, "masked product before its sum")
                for u in users:
                    d = G.only_user(u.output[0])
                    if d is not None and d.op_type == "Div" and d.input[1] in maskish:
                        mark(u.output[0], "masked sum before the division by the count")

    quantized, carried, reasons = [], {}, {}

    def source(t):
        return t if t in quantized_set else carried.get(t)

    quantized_set = set()

    def consider(t, producer_op):
        if not is_float(t):
            return
        if t in G.outputs:
            reasons[t] = "graph output"
        elif t not in dynamic:
            reasons[t] = "constant once shapes are fixed"
        elif t in maskish:
            reasons[t] = "mask-derived (integer-valued)"
        elif all(u.op_type == "Shape" for u in G.users(t)):
            reasons[t] = "read only by Shape"
        elif t in internal:
            reasons[t] = internal[t]
        else:
            quantized.append(t)
            quantized_set.add(t)
            reasons[t] = f"quantized ({producer_op})"

    for i in G.g.input:
        if i.name in G.inputs:
            consider(i.name, "graph input")
    for n in G.g.node:
        if n.op_type in ("Shape", "Constant"):
            continue
        if n.op_type in DATA_MOVEMENT and n.input and source(n.input[0]) is not None \
                and is_float(n.output[0]) and n.output[0] not in G.outputs:
            carried[n.output[0]] = source(n.input[0])
            reasons[n.output[0]] = f"carries the scale of {carried[n.output[0]]}"
            continue
        for o in n.output:
            if o:
                consider(o, n.op_type)
    return quantized, carried, reasons


# ---------------------------------------------------------------- 2. ranges

def run_ort(model_path, inputs, out_dir, threads):
    cmd = ["node", ORT_RUN, model_path, "--output-dir", out_dir, "--threads", str(threads),
           "--quiet"]
    for name, path in inputs.items():
        cmd += ["--input", f"{name}={path}"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}")


def calibrate(model, tensors, calibration, threads, work):
    """{tensor: (min, max)} over the calibration samples, from ORT."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.output[:]
    names = {}
    for k, t in enumerate(tensors):
        name = f"qdq_calibration_{k}"
        names[t] = name
        m.graph.node.append(helper.make_node("Identity", [t], [name]))
        m.graph.output.append(helper.make_tensor_value_info(name, FLOAT, None))
    path = os.path.join(work, "calibration.onnx")
    onnx.save(m, path)
    data = np.load(calibration)
    inputs = {}
    for i in model.graph.input:
        if i.name in {t.name for t in model.graph.initializer}:
            continue
        if i.name not in data:
            raise SystemExit(f"make_qdq: {calibration} has no array '{i.name}'")
        inputs[i.name] = os.path.join(work, f"input_{len(inputs)}.npy")
        np.save(inputs[i.name], np.ascontiguousarray(data[i.name]))
    out = os.path.join(work, "out")
    run_ort(path, inputs, out, threads)
    ranges = {}
    for t, name in names.items():
        a = np.load(os.path.join(out, name + ".npy"))
        ranges[t] = (float(a.min()), float(a.max()))
    return ranges


def activation_params(lo, hi):
    """(scale float32, zero point dtype) for a calibrated range."""
    if lo >= 0:
        scale, dtype = hi / 255.0, np.uint8
    else:
        scale, dtype = max(-lo, hi) / 127.0, np.int8
    if not scale > 0:
        scale = 1.0
    return np.float32(scale), dtype


# ---------------------------------------------------------------- 4. weights

def quantize_weight(w, axis):
    """int8 per channel along axis, symmetric. Returns (q, scales float32)."""
    other = tuple(d for d in range(w.ndim) if d != axis)
    absmax = np.max(np.abs(w.astype(np.float64)), axis=other)
    scales = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w.astype(np.float64) / scales.reshape(shape).astype(np.float64)),
                -127, 127).astype(np.int8)
    return q, scales


def quantize_bias(b, scales):
    """int32 at the given float32 scales (one per element)."""
    q = np.round(b.astype(np.float64) / scales.astype(np.float64))
    if np.any(np.abs(q) > 2**31 - 1):
        raise SystemExit("make_qdq: a bias does not fit int32 at the accumulator scale")
    return q.astype(np.int32)


# ---------------------------------------------------------------- 5. the QDQ model

def make_qdq(model, calibration, threads=1, work=None, transpose_gemm=False,
             float_biases=False):
    model = onnx.ModelProto.FromString(model.SerializeToString())
    folded = preprocess(model, transpose_gemm)
    quantized, carried, reasons = classify(model)
    with tempfile.TemporaryDirectory(prefix="qcc-qdq-") as tmp:
        ranges = calibrate(model, quantized, calibration, threads, work or tmp)
    params = {t: activation_params(*ranges[t]) for t in quantized}
    for t, src in carried.items():
        params[t] = params[src]

    G = Graph(model)
    g = model.graph
    new_inits = []
    dq_of = {}          # activation -> its DequantizeLinear output
    stats = {"activations": len(quantized), "weights": 0, "biases": 0, "bn_folded": folded}

    def scalar(name, value):
        new_inits.append(numpy_helper.from_array(np.array(value), name))
        return name

    def qdq_nodes(t):
        scale, dtype = params[t]
        s = scalar(f"{t}_scale", np.float32(scale))
        z = scalar(f"{t}_zero_point", dtype(0))
        q, dq = f"{t}_QuantizeLinear_Output", f"{t}_DequantizeLinear_Output"
        dq_of[t] = dq
        return [helper.make_node("QuantizeLinear", [t, s, z], [q], name=f"{t}_QuantizeLinear"),
                helper.make_node("DequantizeLinear", [q, s, z], [dq],
                                 name=f"{t}_DequantizeLinear")]

    def dq_init(name, q, scales, axis, zp_dtype):
        qn, sn, zn = f"{name}_quantized", f"{name}_scale", f"{name}_zero_point"
        new_inits.append(numpy_helper.from_array(q, qn))
        new_inits.append(numpy_helper.from_array(scales.astype(np.float32), sn))
        new_inits.append(numpy_helper.from_array(np.zeros(scales.shape, zp_dtype), zn))
        out = f"{name}_DequantizeLinear_Output"
        kw = {"axis": axis} if scales.ndim == 1 else {}
        return out, helper.make_node("DequantizeLinear", [qn, sn, zn], [out],
                                     name=f"{name}_DequantizeLinear", **kw)

    def input_scale(t):
        if t not in params:
            raise SystemExit(f"make_qdq: the input '{t}' of a quantized op is not quantized "
                             f"({reasons.get(t, 'unknown')})")
        return params[t][0]

    nodes = []
    for i in g.input:
        if i.name in quantized:
            nodes += qdq_nodes(i.name)
    replaced_weights = set()
    for n in g.node:
        pre = []
        if n.op_type in ("Conv", "MatMul", "Gemm") and len(n.input) > 1 and n.input[1] in G.init:
            wname = n.input[1]
            if wname in replaced_weights:
                raise SystemExit(f"make_qdq: weight {wname} is shared")
            replaced_weights.add(wname)
            w = G.array(wname)
            if n.op_type == "Conv":
                axis = 0
            elif n.op_type == "MatMul":
                if w.ndim != 2:
                    raise SystemExit(f"make_qdq: MatMul weight {wname} is not 2-D")
                axis = 1
            else:
                if attr(n, "transA", 0) or attr(n, "alpha", 1.0) != 1.0 or \
                        attr(n, "beta", 1.0) != 1.0:
                    raise SystemExit(f"make_qdq: Gemm {n.name}: only transA=0, alpha=beta=1")
                axis = 0 if attr(n, "transB", 0) else 1
            q, ws = quantize_weight(w, axis)
            out, node = dq_init(wname, q, ws, axis, np.int8)
            pre.append(node)
            n.input[1] = out
            stats["weights"] += 1
            sx = input_scale(n.input[0])
            acc = (np.float32(sx) * ws).astype(np.float32)
            bias_name = n.input[2] if len(n.input) > 2 and n.input[2] else None
            if bias_name is not None and bias_name in G.init and not float_biases:
                b = G.array(bias_name)
                if b.shape != acc.shape:
                    raise SystemExit(f"make_qdq: bias {bias_name} shape {b.shape}")
                out, node = dq_init(bias_name, quantize_bias(b, acc), acc, 0, np.int32)
                pre.append(node)
                n.input[2] = out
                stats["biases"] += 1
            if n.op_type == "MatMul" and not float_biases:
                add = G.only_user(n.output[0])
                if add is not None and add.op_type == "Add":
                    k = 0 if add.input[0] != n.output[0] else 1
                    bname = add.input[k]
                    if bname in G.init and G.array(bname).shape == acc.shape:
                        out, node = dq_init(bname, quantize_bias(G.array(bname), acc), acc, 0,
                                            np.int32)
                        pre.append(node)
                        add.input[k] = out
                        stats["biases"] += 1
        nodes += pre
        nodes.append(n)
        for o in n.output:
            if o in quantized:
                nodes += qdq_nodes(o)
    # Consumers read the dequantized copies.
    for n in nodes:
        if n.op_type == "QuantizeLinear":
            continue
        for k, i in enumerate(n.input):
            if i in dq_of and not (n.op_type == "DequantizeLinear"):
                n.input[k] = dq_of[i]
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(new_inits)
    remove_unused_initializers(model)
    model.doc_string = (model.doc_string + " | " if model.doc_string else "") + \
        "QDQ model written by test/models/make_qdq.py"
    onnx.checker.check_model(model)
    return model, stats, reasons, ranges


# ---------------------------------------------------------------- --all

def make_calibration(data):
    """qdq_calib_image.npz / qdq_calib_bert.npz from the training split."""
    sys.path.insert(0, HERE)
    import common
    image_path = os.path.join(data, "qdq_calib_image.npz")
    bert_path = os.path.join(data, "qdq_calib_bert.npz")
    if os.path.exists(image_path) and os.path.exists(bert_path):
        return image_path, bert_path
    os.makedirs(data, exist_ok=True)
    u8, _ = common.load_fmnist("train")
    rng = np.random.default_rng(CALIB_SEED)
    idx = rng.permutation(len(u8))[:CALIB_SAMPLES]
    np.savez(image_path, image=common.preprocess_images(u8[idx]))
    lengths = rng.integers(common.MIN_LEN, common.SEQ_LEN + 1, size=CALIB_SAMPLES)
    ids, mask = common.pad_tokens(common.tokenize(u8[idx]), lengths.astype(np.int64),
                                  common.SEQ_LEN)
    np.savez(bert_path, input_ids=ids, attention_mask=mask)
    return image_path, bert_path


def convert(src, dst, calibration, args):
    model, stats, reasons, ranges = make_qdq(onnx.load(src), calibration, args.threads,
                                             transpose_gemm=args.transpose_gemm,
                                             float_biases=args.float_biases)
    onnx.save(model, dst)
    print(f"{dst}: {stats['activations']} activations, {stats['weights']} weights, "
          f"{stats['biases']} biases quantized, {stats['bn_folded']} BatchNormalization "
          f"folded; {os.path.getsize(dst)} bytes")
    if args.verbose:
        for t, why in reasons.items():
            rng = f" range [{ranges[t][0]:.4g}, {ranges[t][1]:.4g}]" if t in ranges else ""
            print(f"  {t}: {why}{rng}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--calibration", help=".npz keyed by input name")
    ap.add_argument("--all", action="store_true",
                    help="write test/models/{cnn,vit,bert}-qdq.onnx from the op17 models")
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "models-data"))
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--transpose-gemm", action="store_true",
                    help="store Gemm weights as [K, N] (transB=0)")
    ap.add_argument("--float-biases", action="store_true",
                    help="keep biases float (ORT's QuantizeBias=False)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print the decision for every float tensor")
    args = ap.parse_args()
    if args.all:
        calib_image, calib_bert = make_calibration(args.data)
        os.makedirs(args.out_dir, exist_ok=True)
        for name in ("cnn", "vit", "bert"):
            convert(os.path.join(HERE, f"{name}-op17.onnx"),
                    os.path.join(args.out_dir, f"{name}-qdq.onnx"),
                    calib_bert if name == "bert" else calib_image, args)
        return 0
    if not (args.model and args.out and args.calibration):
        ap.error("give MODEL OUT --calibration CALIB.npz, or --all")
    convert(args.model, args.out, args.calibration, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
