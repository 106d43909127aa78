#!/usr/bin/python3
"""Whole-model oracle: qcc's float interpreter against ONNX Runtime 1.30.

    /usr/bin/python3 test/models/compare.py [--build DIR] [--data DIR]
        [--models cnn,vit,bert] [--opsets 13,17] [--threads N]

For every model file test/models/<model>-op<opset>.onnx, runs the same
inputs through `qcc-run` (import + prepare pipeline + reference interpreter)
and through ONNX Runtime (utils/ort-run.js), and checks, per output:

  * max |qcc - ort| <= 1e-4 * max |ort|   (the issue's tolerance)
  * identical top-1 class on every sample

on the first 1000 Fashion-MNIST test images (bert: padded to 49 tokens), plus
the 8-sample set (bert at the 47-token length of its longest sequence) and a
single unpadded sample (28 tokens), so the BERT-style model runs at three
sequence lengths. Also prints top-1 accuracy against the labels. Inputs come
from test/models/make_inputs.py (written to DIR, default build/models-data,
when missing). The last line is "models: N passed, N failed"; exit status 1
if any comparison fails.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOLERANCE = 1e-4


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stdout.strip()}")


def inputs_for(model, data, n):
    """(name, path, shape) of each graph input of `model` for set n."""
    if model == "bert":
        ids = os.path.join(data, f"input_ids_{n}.npy")
        mask = os.path.join(data, f"attention_mask_{n}.npy")
        shape = "x".join(map(str, np.load(ids, mmap_mode="r").shape))
        return [("input_ids", ids, shape), ("attention_mask", mask, shape)]
    image = os.path.join(data, f"image_{n}.npy")
    shape = "x".join(map(str, np.load(image, mmap_mode="r").shape))
    return [("image", image, shape)]


def compare(build, data, model, opset, n, threads, workdir):
    path = os.path.join(HERE, f"{model}-op{opset}.onnx")
    inputs = inputs_for(model, data, n)
    qcc_dir = os.path.join(workdir, f"{model}{opset}_{n}_qcc")
    ort_dir = os.path.join(workdir, f"{model}{opset}_{n}_ort")
    cmd = [os.path.join(build, "bin", "qcc-run"), path, "--output-dir", qcc_dir,
           "--threads", str(threads)]
    for name, file, shape in inputs:
        cmd += ["--shape", f"{name}={shape}", "--input", f"{name}={file}"]
    run(cmd)
    cmd = ["node", os.path.join(ROOT, "utils", "ort-run.js"), path,
           "--output-dir", ort_dir, "--threads", str(threads), "--quiet"]
    for name, file, _ in inputs:
        cmd += ["--input", f"{name}={file}"]
    run(cmd)
    ours = np.load(os.path.join(qcc_dir, "logits.npy"))
    theirs = np.load(os.path.join(ort_dir, "logits.npy"))
    if ours.shape != theirs.shape or ours.dtype != theirs.dtype:
        return False, f"output {ours.dtype}{list(ours.shape)} vs ORT " \
                      f"{theirs.dtype}{list(theirs.shape)}"
    diff = float(np.max(np.abs(ours.astype(np.float64) - theirs)))
    scale = float(np.max(np.abs(theirs)))
    same_top1 = int(np.sum(ours.argmax(-1) == theirs.argmax(-1)))
    labels = np.load(os.path.join(data, f"labels_{n}.npy"))
    accuracy = 100.0 * float(np.mean(ours.argmax(-1) == labels))
    ok = diff <= TOLERANCE * scale and same_top1 == len(labels)
    seq = f" seq {inputs[0][2].split('x')[1]}" if model == "bert" else ""
    return ok, (f"max|diff| {diff:.3g} = {diff / scale:.2g} x max|out| "
                f"({scale:.3g}); top-1 agrees on {same_top1}/{len(labels)}"
                f"{seq}; qcc accuracy {accuracy:.2f}%")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "models-data"))
    ap.add_argument("--models", default="cnn,vit,bert")
    ap.add_argument("--opsets", default="13,17")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    if not os.path.exists(os.path.join(args.data, "image_1000.npy")):
        run([sys.executable, os.path.join(HERE, "make_inputs.py"), args.data])

    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="qcc-models-") as workdir:
        for model in args.models.split(","):
            sets = [1000, 8, 1] if model == "bert" else [1000, 8]
            for opset in args.opsets.split(","):
                for n in sets:
                    name = f"{model}-op{opset} n={n}"
                    try:
                        ok, detail = compare(args.build, args.data, model, opset,
                                             n, args.threads, workdir)
                    except RuntimeError as err:
                        ok, detail = False, str(err)
                    print(f"{'PASS' if ok else 'FAIL'}: {name}: {detail}",
                          flush=True)
                    passed += ok
                    failed += not ok
    print(f"models: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
