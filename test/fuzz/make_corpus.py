#!/usr/bin/python3
"""Regenerates the fuzzer's seed corpus, test/fuzz/corpus/.

    /usr/bin/python3 test/fuzz/make_corpus.py

Seeds (kept small: the whole corpus stays well under 200 KB):
  tiny_cnn.onnx          make_tiny_cnn.py's CNN, batch fixed to 1
  <name>.onnxtext/.onnx  the .onnxtext models of test/Frontend/ONNX, with the
                         lit lines dropped and symbolic dimensions fixed (the
                         harness passes no --shape), as text and as protobuf
  extra.onnxtext/.onnx   operators no other seed has (LayerNormalization,
                         Gelu, Not, ConstantOfShape, ConvInteger, Cast,
                         QLinearConv)
  node_<test>.onnx       per supported operator, the smallest ONNX 1.12
                         backend node test model that qcc imports, with its
                         constant operands folded as the onnx-backend runner
                         does (needs build/onnx-backend and build/bin/qcc)
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "onnx-backend"))

import generate  # noqa: E402
import run  # noqa: E402


EXTRA = """<
  ir_version: 9,
  opset_import: ["" : 20]
>
extra (float[2, 3, 4] x, bool[2, 3] b, uint8[1, 1, 4, 4] xi) => (float[2, 3, 4] ln, float[2, 3, 4] ge, bool[2, 3] nb, float[2, 3] cs, int32[1, 1, 3, 3] ci, int32[2, 3] c32, uint8[1, 1, 3, 3] qc)
<float[4] g = {1., 2., 3., 4.}, float[4] bb = {0., 0.5, 1., -1.}, int64[2] shp = {2, 3}, uint8[1, 1, 2, 2] w = {1, 2, 3, 4}, uint8 xz = {2}, float xs = {0.5}, float ws = {0.25}, uint8 wz = {0}, float ys = {1.}, uint8 yz = {1}>
{
  ln = LayerNormalization <axis = -1, epsilon = 0.00001> (x, g, bb)
  ge = Gelu <approximate = "tanh"> (x)
  nb = Not (b)
  cs = ConstantOfShape <value = float[1] {1.5}> (shp)
  ci = ConvInteger (xi, w, xz)
  c32 = Cast <to = 6> (nb)
  qc = QLinearConv (xi, xs, xz, w, ws, wz, ys, yz)
}
"""


def write_text_seed(out, name, text):
    """Writes `text` as name.onnxtext and, parsed, as name.onnx."""
    import onnx.parser

    with open(os.path.join(out, name + ".onnxtext"), "w") as f:
        f.write(text)
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(onnx.parser.parse_model(text).SerializeToString())


def main():
    import onnx

    out = os.path.join(HERE, "corpus")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    # A small CNN with its batch fixed to 1 (the harness passes no --shape).
    sys.path.insert(0, HERE)
    import make_tiny_cnn
    make_tiny_cnn.main(os.path.join(out, "tiny_cnn.onnx"), batch=1)

    for path in sorted(glob.glob(os.path.join(ROOT, "test", "Frontend", "ONNX",
                                              "*.onnxtext"))):
        with open(path) as f:
            lines = [l for l in f if not l.lstrip().startswith("//")]
        text = re.sub(r"\bN\b", "2", "".join(lines)).strip() + "\n"
        write_text_seed(out, os.path.splitext(os.path.basename(path))[0], text)
    write_text_seed(out, "extra", EXTRA)

    build = os.path.join(ROOT, "build")
    data = os.path.join(build, "onnx-backend")
    generate.ensure(data)
    qcc = os.path.join(build, "bin", "qcc")
    supported = set(subprocess.run([qcc, "--list-onnx-ops"], check=True,
                                   capture_output=True, text=True).stdout.split())
    best = {}
    with tempfile.TemporaryDirectory() as work:
        for test in run.collect(os.path.join(data, "node"), supported, []):
            if test["unsupported"]:
                continue
            sub = os.path.join(work, test["name"])
            os.makedirs(sub)
            model_path, _, _ = run.prepare(test["dir"], sub)
            if subprocess.run([qcc, model_path, "--emit=mlir", "--precision=fp32", "-o", os.devnull],
                              capture_output=True).returncode != 0:
                continue
            with open(model_path, "rb") as f:
                model_bytes = f.read()
            ops = {n.op_type for n in onnx.load_from_string(model_bytes).graph.node}
            for op in ops:
                if op not in best or len(model_bytes) < len(best[op][1]):
                    best[op] = (test["name"], model_bytes)
    for name, model_bytes in sorted(set(best.values())):
        with open(os.path.join(out, "node_" + name[len("test_"):] + ".onnx"),
                  "wb") as f:
            f.write(model_bytes)
    files = os.listdir(out)
    size = sum(os.path.getsize(os.path.join(out, f)) for f in files)
    print(f"make_corpus: {len(files)} seeds, {size} bytes in {out}")


if __name__ == "__main__":
    main()
