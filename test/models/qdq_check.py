#!/usr/bin/python3
"""QDQ models: qcc's integer path against ONNX Runtime's, with the model's scales.

    /usr/bin/python3 test/models/qdq_check.py [--build DIR] [--data DIR]
        [--models cnn,vit,bert] [--threads N] [--strict] [--qdq-dir DIR]

For each committed QDQ model test/models/<model>-qdq.onnx (made by
make_qdq.py from <model>-op17.onnx), on the first 1000 Fashion-MNIST test
samples (bert: padded to 49 tokens):

1. accuracy: ONNX Runtime runs the float model and the QDQ model (ORT 1.30
   fuses cnn into QLinearConv/QLinearAdd/QLinearGlobalAveragePool and most
   Linear layers of vit/bert into MatMulIntegerToFloat; the rest runs in
   float on dequantized values), and `qcc-run
   --interp=int` runs the QDQ model *without* --calibration: the model's
   scales must be all it needs. Printed: top-1 of the three, max |qcc - ORT|
   over max |ORT logits|, and how many argmaxes agree.
   Pass: argmax agreement >= 98% and qcc top-1 within 1 point of ORT-QDQ's.
   Both run the same integer grid (same scales, same int8 weights and int32
   biases), but not bit-exactly: ORT requantizes with a float multiplier and
   round-half-to-even and runs LayerNorm, GELU and softmax in float between
   DQ and Q, while qcc uses dyadic multipliers with round-half-up and its
   integer-only LayerNorm/GELU/softmax (docs/IntegerSemantics.md). Those
   differences are a few LSB of an activation, so logits move by a few
   percent of their range and samples whose two best classes are that close
   can flip; ORT's own QDQ model agrees with the float model on 98.9-99.7%
   of these samples (its logits move by 3-7% of their range), so 98% leaves
   room for the different rounding rules and still catches a wrong scale, a
   wrong weight or a broken op (those cost far more than 2%).
2. the integer graph: `qcc MODEL --shape ... --emit=mlir` (default
   --precision=int8) must
   * have no float type anywhere but the boundary: the function's float
     signature, `qcc.quantize` of an argument and the `qcc.dequantize`
     results that are returned (qcc-verify-integer-only checks the same;
     this is an independent grep of the text);
   * use the model's own weights: every int8 per-channel weight initializer
     (behind a DequantizeLinear) appears as a `qcc.constant` with the same
     integers (or their transpose, for 2-D weights);
   * keep the model's scales: for every qcc.conv/qcc.matmul whose weight is
     one of them and whose result is requantized (after an optional bias
     add), the requant multipliers m_c * 2^-shift_c equal
     s_x * s_w,c / s_y within 2^-31 relative (s_x: the DQ scale of the
     op's input, s_w,c: the weight's, s_y: the QuantizeLinear after the op,
     through a bias Add or Relu), and a dequantized accumulator (the logits)
     has scales s_x * s_w,c.

If qcc stops because it wants a calibrated range (an op whose input range is
not given by the QDQ scales), the exact diagnostic is printed and, as a
documented fallback, the run is repeated with `--calibration` on 1000
training images (build/models-data/qdq_calib_*.npz, make_qdq.py's set); the
result line says "calibration fallback". With --strict such a model fails.
Any other qcc failure (an error or a crash) fails the model.

The last line is "qdq: N passed, N failed" (one test per model for the
accuracy and one for the integer graph); exit status 1 on any failure.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import make_qdq  # noqa: E402

N_EVAL = 1000
MIN_AGREEMENT = 0.98
MAX_TOP1_GAP = 1.0
MULTIPLIER_TOLERANCE = 2.0 ** -31


def run(cmd):
    """(returncode, combined output)."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc.returncode, proc.stdout


def describe_failure(cmd, rc, out):
    if rc < 0:
        try:
            sig = signal.Signals(-rc).name
        except ValueError:
            sig = f"signal {-rc}"
        what = f"{os.path.basename(cmd[0])} crashed ({sig})"
    else:
        what = f"{os.path.basename(cmd[0])} failed (exit {rc})"
    lines = [l for l in out.splitlines() if l.strip() and not re.match(r"^\s*#\d+ ", l)]
    errors = [l for l in lines if "error" in l or "note" in l] or lines[-6:]
    return what + ":\n    " + "\n    ".join(errors[:8])


def needs_calibration(out):
    return "no calibrated range" in out


def model_inputs(model, data):
    if model == "bert":
        ids = os.path.join(data, f"input_ids_{N_EVAL}.npy")
        mask = os.path.join(data, f"attention_mask_{N_EVAL}.npy")
        shape = "x".join(map(str, np.load(ids, mmap_mode="r").shape))
        return [("input_ids", ids, shape), ("attention_mask", mask, shape)]
    image = os.path.join(data, f"image_{N_EVAL}.npy")
    shape = "x".join(map(str, np.load(image, mmap_mode="r").shape))
    return [("image", image, shape)]


def ort_logits(path, inputs, out_dir, threads):
    cmd = ["node", os.path.join(ROOT, "utils", "ort-run.js"), path, "--output-dir", out_dir,
           "--threads", str(threads), "--quiet"]
    for name, file, _ in inputs:
        cmd += ["--input", f"{name}={file}"]
    rc, out = run(cmd)
    if rc != 0:
        raise RuntimeError(describe_failure(cmd, rc, out))
    return np.load(os.path.join(out_dir, "logits.npy"))


def qcc_command(tool, path, inputs, extra):
    cmd = [tool, path] + extra
    for name, file, shape in inputs:
        cmd += ["--shape", f"{name}={shape}"]
        if tool.endswith("qcc-run"):
            cmd += ["--input", f"{name}={file}"]
    return cmd


def run_qcc(tool, path, inputs, extra, calibration, strict, notes):
    """Runs qcc or qcc-run without calibration, then (fallback) with it.
    Returns (ok, output, used_fallback)."""
    cmd = qcc_command(tool, path, inputs, extra)
    rc, out = run(cmd)
    if rc == 0:
        return True, out, False
    if not needs_calibration(out) or rc < 0:
        notes.append(describe_failure(cmd, rc, out))
        return False, out, False
    notes.append("qcc asked for calibration: " + describe_failure(cmd, rc, out))
    if strict:
        return False, out, False
    cmd = qcc_command(tool, path, inputs, extra + ["--calibration", calibration])
    rc, out = run(cmd)
    if rc != 0:
        notes.append("with the --calibration fallback: " + describe_failure(cmd, rc, out))
        return False, out, True
    return True, out, True


# ---------------------------------------------------------------- MLIR parsing

OP_RE = re.compile(r"^\s*(%[\w.#]+)(?::\d+)? = (qcc\.\w+|[a-z_]+\.\w+)\s*(.*)$")


def parse_array(text, name):
    m = re.search(name + r" = array<i\d+: ([^>]*)>", text)
    return [int(v) for v in m.group(1).split(",")] if m else None


def parse_f32_array(text, name):
    m = re.search(name + r" = array<f32: ([^>]*)>", text)
    return [float(v) for v in m.group(1).split(",")] if m else None


def parse_constant(rest):
    """rest: text after 'qcc.constant'. Returns an integer numpy array or None."""
    m = re.match(r'dense<(.*)>\s*:\s*tensor<(.*)>\s*$', rest)
    if not m:
        return None
    body, ty = m.group(1), m.group(2)
    parts = ty.split("x")
    elem = parts[-1]
    shape = [int(p) for p in parts[:-1]]
    dtypes = {"i8": np.int8, "ui8": np.uint8, "i32": np.int32, "i16": np.int16, "i64": np.int64}
    if elem not in dtypes:
        return None
    dtype = dtypes[elem]
    if body.startswith('"0x'):
        raw = bytes.fromhex(body[3:-1])
        arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
        if arr.size == 1 and int(np.prod(shape)) > 1:
            return np.full(shape, arr[0], dtype)
        return arr.reshape(shape)
    values = [int(v) for v in re.findall(r"-?\d+", body)]
    if len(values) == 1:
        return np.full(shape, values[0], dtype)
    return np.array(values, dtype).reshape(shape)


def parse_mlir(text):
    """{result: (op, operands, rest)} in order, and the returned values."""
    ops = {}
    returned = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("return ") or s.startswith("func.return "):
            returned = re.findall(r"%[\w.#]+", s.split(":")[0])
            continue
        m = OP_RE.match(line)
        if not m:
            continue
        result, op, rest = m.groups()
        head = rest.split("{")[0].split(":")[0]
        operands = re.findall(r"%[\w.#]+", head)
        ops[result] = (op, operands, rest)
    return ops, returned


# ---------------------------------------------------------------- the QDQ model side

class QDQModel:
    def __init__(self, path):
        m = onnx.load(path)
        self.g = m.graph
        self.init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
        self.producer = {o: n for n in m.graph.node for o in n.output}
        self.users = {}
        for n in m.graph.node:
            for i in n.input:
                self.users.setdefault(i, []).append(n)

    def dq_params(self, name):
        """(integers, scales, axis) if `name` is a DequantizeLinear of an initializer."""
        n = self.producer.get(name)
        if n is None or n.op_type != "DequantizeLinear" or n.input[0] not in self.init:
            return None
        axis = make_qdq.attr(n, "axis", 1)
        return self.init[n.input[0]], np.atleast_1d(self.init[n.input[1]]), axis

    def act_scale(self, name):
        n = self.producer.get(name)
        while n is not None and n.op_type in make_qdq.DATA_MOVEMENT:
            n = self.producer.get(n.input[0])
        if n is not None and n.op_type == "DequantizeLinear" and n.input[0] not in self.init:
            return float(self.init[n.input[1]])
        return None

    def out_scale(self, name):
        """Scale of the QuantizeLinear after `name`, through a bias Add or Relu."""
        for _ in range(3):
            users = self.users.get(name, [])
            if len(users) != 1:
                return None
            u = users[0]
            if u.op_type == "QuantizeLinear":
                return float(self.init[u.input[1]])
            if u.op_type not in ("Add", "Relu"):
                return None
            if u.op_type == "Add" and not any(self.dq_params(i) or i in self.init
                                              for i in u.input if i != name):
                return None  # not a bias add
            name = u.output[0]
        return None

    def linear_ops(self):
        """(node, weights int8, weight scales, s_x, s_y or None)."""
        for n in self.g.node:
            if n.op_type not in ("Conv", "MatMul", "Gemm") or len(n.input) < 2:
                continue
            w = self.dq_params(n.input[1])
            if w is None or w[0].dtype != np.int8:
                continue
            yield n, w[0], w[1], self.act_scale(n.input[0]), self.out_scale(n.output[0])


def check_graph(text, qdq):
    """Returns (ok, [lines])."""
    lines, ok = [], True
    ops, returned = parse_mlir(text)
    args = set()
    for line in text.splitlines():
        if "func.func" in line:
            args.update(re.findall(r"(%arg\d+): tensor<", line))
    # 1. Float types only at the boundary.
    bad = []
    for res, (op, operands, rest) in ops.items():
        if not re.search(r"\b(f16|bf16|f32|f64)\b", rest):
            continue
        if op == "qcc.quantize" and operands and operands[0] in args:
            continue
        if op == "qcc.dequantize" and res in returned:
            continue
        bad.append(f"{res} = {op}")
    n_q = sum(1 for op, _, _ in ops.values() if op == "qcc.quantize")
    n_dq = sum(1 for op, _, _ in ops.values() if op == "qcc.dequantize")
    if bad:
        ok = False
        lines.append(f"float ops inside the integer region: {', '.join(bad[:6])}")
    else:
        lines.append(f"float only at the boundary ({n_q} qcc.quantize of arguments, "
                     f"{n_dq} qcc.dequantize returned)")
    # 2. The model's own weights.
    consts = {}
    for res, (op, _, rest) in ops.items():
        if op == "qcc.constant":
            arr = parse_constant(rest)
            if arr is not None and arr.dtype == np.int8:
                consts[res] = arr

    def find(w):
        for res, c in consts.items():
            if c.shape == w.shape and np.array_equal(c, w):
                return res, False
            if w.ndim == 2 and c.shape == w.T.shape and np.array_equal(c, w.T):
                return res, True
        return None, None

    linear = list(qdq.linear_ops())
    found = {}
    missing = []
    for n, w, ws, sx, sy in linear:
        res, transposed = find(w)
        if res is None:
            missing.append(n.name or n.output[0])
        else:
            found[res] = (n, w, ws, sx, sy, transposed)
    if missing:
        ok = False
        lines.append(f"weights not found as qcc.constant: {', '.join(missing)}")
    else:
        lines.append(f"all {len(linear)} int8 weights of Conv/MatMul/Gemm are qcc.constants "
                     f"with the model's integers")
    # 3. Requant multipliers and output scales against the QDQ scales.
    checked, worst, errors = 0, 0.0, []
    for res, (op, operands, rest) in ops.items():
        if op not in ("qcc.conv", "qcc.matmul") or len(operands) < 2 or operands[1] not in found:
            continue
        n, w, ws, sx, sy, _ = found[operands[1]]
        users = [r for r, (o, ins, _) in ops.items() if res in ins]
        acc = res
        if len(users) == 1 and ops[users[0]][0] == "qcc.add":
            acc = users[0]
            users = [r for r, (o, ins, _) in ops.items() if acc in ins]
        if len(users) != 1 or sx is None:
            continue
        uop, _, urest = ops[users[0]]
        if uop == "qcc.requant" and sy is not None:
            mult, shift = parse_array(urest, "multiplier"), parse_array(urest, "shift")
            if mult is None or shift is None:
                continue
            if len(mult) == 1:
                mult, shift = mult * len(ws), shift * len(ws)
            got = np.array(mult, np.float64) * np.exp2(-np.array(shift, np.float64))
            want = np.float64(sx) * ws.astype(np.float64) / np.float64(sy)
        elif uop == "qcc.dequantize" and users[0] in returned:
            scales = parse_f32_array(urest, "scales")
            if scales is None:
                continue
            got = np.array(scales, np.float64) if len(scales) > 1 else \
                np.full(len(ws), scales[0])
            want = (np.float32(sx) * ws.astype(np.float32)).astype(np.float64)
        else:
            continue
        if got.shape != want.shape:
            errors.append(f"{n.name}: {len(got)} multipliers for {len(want)} channels")
            continue
        rel = float(np.max(np.abs(got - want) / want))
        tol = MULTIPLIER_TOLERANCE if uop == "qcc.requant" else 2.0 ** -23
        worst = max(worst, rel if uop == "qcc.requant" else 0.0)
        checked += 1
        if rel > tol * (1 + 1e-9):
            errors.append(f"{n.name or n.output[0]} ({uop}): relative error {rel:.3g}")
    if errors:
        ok = False
        lines.append("rescales that do not match the QDQ scales: " + "; ".join(errors[:6]))
    elif checked == 0:
        ok = False
        lines.append("no requantization of a Conv/MatMul result could be matched to the model")
    else:
        lines.append(f"{checked} rescales of Conv/MatMul/Gemm results match s_x*s_w/s_y "
                     f"(worst {worst:.2g} relative, bound 2^-31)")
    return ok, lines


# ---------------------------------------------------------------- main

def check_model(args, model, calibration, work):
    path = os.path.join(args.qdq_dir, f"{model}-qdq.onnx")
    inputs = model_inputs(model, args.data)
    labels = np.load(os.path.join(args.data, f"labels_{N_EVAL}.npy"))
    top1 = lambda x: 100.0 * float(np.mean(x.argmax(1) == labels))  # noqa: E731
    results = []

    # 1. accuracy.
    notes = []
    float_logits = ort_logits(os.path.join(HERE, f"{model}-op17.onnx"), inputs,
                              os.path.join(work, f"{model}_float"), args.threads)
    ort = ort_logits(path, inputs, os.path.join(work, f"{model}_ortqdq"), args.threads)
    qcc_dir = os.path.join(work, f"{model}_qcc")
    ok, out, fallback = run_qcc(os.path.join(args.build, "bin", "qcc-run"), path, inputs,
                                ["--interp=int", "--output-dir", qcc_dir,
                                 "--threads", str(args.threads)],
                                calibration, args.strict, notes)
    line = (f"{model}-qdq: top-1 float {top1(float_logits):.2f}% ORT-QDQ {top1(ort):.2f}%")
    if ok:
        ours = np.load(os.path.join(qcc_dir, "logits.npy")).astype(np.float64)
        agree = int(np.sum(ours.argmax(1) == ort.argmax(1)))
        rel = float(np.max(np.abs(ours - ort)) / np.max(np.abs(ort)))
        gap = top1(ours) - top1(ort)
        ok = agree >= MIN_AGREEMENT * len(labels) and abs(gap) <= MAX_TOP1_GAP
        line += (f" qcc-int {top1(ours):.2f}% ({gap:+.2f}); max|qcc-ORT| {rel:.3f} x max|logits|;"
                 f" argmax agree {agree}/{len(labels)}")
        if fallback:
            line += " (calibration fallback)"
    else:
        line += " qcc-int: no result"
    results.append((ok, "accuracy", line, notes))

    # 2. the integer graph.
    notes = []
    ok, out, fallback = run_qcc(os.path.join(args.build, "bin", "qcc"), path, inputs,
                                ["--emit=mlir", "-o", "-"], calibration, args.strict, notes)
    lines = []
    if ok:
        ok, lines = check_graph(out, QDQModel(path))
        if fallback:
            lines.append("(calibration fallback)")
    results.append((ok, "integer graph", f"{model}-qdq integer graph: " + "; ".join(lines),
                    notes))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "models-data"))
    ap.add_argument("--models", default="cnn,vit,bert")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--qdq-dir", default=HERE,
                    help="where <model>-qdq.onnx are (default: the committed ones)")
    ap.add_argument("--strict", action="store_true",
                    help="no --calibration fallback: a model that needs it fails")
    args = ap.parse_args()

    if not os.path.exists(os.path.join(args.data, f"labels_{N_EVAL}.npy")):
        rc, out = run([sys.executable, os.path.join(HERE, "make_inputs.py"), args.data])
        if rc != 0:
            print(out)
            print("qdq: 0 passed, 1 failed")
            return 1
    calib_image, calib_bert = make_qdq.make_calibration(args.data)

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="qcc-qdq-") as work:
        for model in args.models.split(","):
            calibration = calib_bert if model == "bert" else calib_image
            try:
                results = check_model(args, model, calibration, work)
            except RuntimeError as err:
                results = [(False, "accuracy", f"{model}-qdq: {err}", [])]
            for ok, _, line, notes in results:
                print(f"{'PASS' if ok else 'FAIL'}: {line}", flush=True)
                for note in notes:
                    print("  note: " + note.replace("\n", "\n  "))
                passed += ok
                failed += not ok
    print(f"qdq: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
