#!/usr/bin/python3
"""Checks the committed test models against ONNX Runtime.

    /usr/bin/python3 test/models/verify.py [--data DIR] [--all] [--threads N] [--update-fixtures]

1. writes the sample inputs (make_inputs.py) into DIR (default build/models-data);
2. runs every <model>-op<opset>.onnx through utils/ort-run.js on the first 1000
   test samples (all 10000 with --all) and computes top-1 against the labels;
   it must match the torch figure recorded in <model>.json within 0.1 points;
3. bert: the first 8 samples padded to 47 and to 49 tokens give the same logits
   (the attention mask works) within 1e-4;
4. the 8-sample fixtures in test/models/data: ORT's logits must match the
   committed <model>-op<opset>.logits_8.npy within 1e-4 (--update-fixtures
   rewrites those files and the fixture inputs).

Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ORT_RUN = os.path.join(ROOT, "utils", "ort-run.js")
FIXTURES = os.path.join(HERE, "data")
MODELS = ["cnn", "vit", "bert"]
OPSETS = [13, 17]


def ort_run(model, inputs, threads):
    """inputs: {name: path}. Returns the 'logits' array."""
    with tempfile.TemporaryDirectory() as out:
        cmd = ["node", ORT_RUN, model, "--output-dir", out, "--threads", str(threads), "--quiet"]
        for k, v in inputs.items():
            cmd += ["--input", f"{k}={v}"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}\n{r.stderr}")
        return np.load(os.path.join(out, "logits.npy"))


def inputs_for(name, d, n):
    if name == "bert":
        return {"input_ids": os.path.join(d, f"input_ids_{n}.npy"),
                "attention_mask": os.path.join(d, f"attention_mask_{n}.npy")}
    return {"image": os.path.join(d, f"image_{n}.npy")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "models-data"))
    ap.add_argument("--all", action="store_true", help="also evaluate the whole 10k test split")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--update-fixtures", action="store_true")
    args = ap.parse_args()

    mk = [sys.executable, os.path.join(HERE, "make_inputs.py"), args.data]
    if args.all:
        mk.append("--all")
    subprocess.run(mk, check=True)
    if args.update_fixtures:
        subprocess.run([sys.executable, os.path.join(HERE, "make_inputs.py"), FIXTURES,
                        "--small-only"], check=True)

    failures = []
    sizes = [1000] + ([10000] if args.all else [])
    print(f"{'model':14} {'N':>6} {'torch':>7} {'ORT':>7}  status")
    for name in MODELS:
        with open(os.path.join(HERE, f"{name}.json")) as f:
            metrics = json.load(f)
        for opset in OPSETS:
            model = os.path.join(HERE, f"{name}-op{opset}.onnx")
            tag = f"{name}-op{opset}"
            for n in sizes:
                labels = np.load(os.path.join(args.data, f"labels_{n}.npy"))
                logits = ort_run(model, inputs_for(name, args.data, n), args.threads)
                acc = 100.0 * float((logits.argmax(1) == labels).mean())
                ref = metrics["torch_top1_1000" if n == 1000 else "torch_top1_10k"]
                ok = abs(acc - ref) <= 0.1 + 1e-9
                print(f"{tag:14} {n:>6} {ref:>7.2f} {acc:>7.2f}  {'ok' if ok else 'MISMATCH'}")
                if not ok:
                    failures.append(f"{tag}: ORT top-1 {acc:.2f} vs torch {ref:.2f} on {n}")
            if name == "bert":
                short = ort_run(model, inputs_for(name, args.data, 8), args.threads)
                with tempfile.TemporaryDirectory() as tmp:
                    ids = np.load(os.path.join(args.data, "input_ids_1000.npy"))[:8]
                    mask = np.load(os.path.join(args.data, "attention_mask_1000.npy"))[:8]
                    np.save(os.path.join(tmp, "ids.npy"), ids)
                    np.save(os.path.join(tmp, "mask.npy"), mask)
                    full = ort_run(model, {"input_ids": os.path.join(tmp, "ids.npy"),
                                           "attention_mask": os.path.join(tmp, "mask.npy")},
                                   args.threads)
                diff = float(np.abs(short - full).max())
                ok = diff <= 1e-4
                print(f"{tag:14} padding 47 vs 49 tokens: max |diff| {diff:.3g}  {'ok' if ok else 'MISMATCH'}")
                if not ok:
                    failures.append(f"{tag}: logits depend on padding (max |diff| {diff:.3g})")
            got = ort_run(model, inputs_for(name, FIXTURES, 8), args.threads)
            fx = os.path.join(FIXTURES, f"{tag}.logits_8.npy")
            if args.update_fixtures:
                np.save(fx, got)
                print(f"{tag:14} wrote {os.path.relpath(fx, ROOT)}")
            elif not os.path.exists(fx):
                failures.append(f"{tag}: fixture {fx} missing (run with --update-fixtures)")
            else:
                diff = float(np.abs(np.load(fx) - got).max())
                ok = diff <= 1e-4
                print(f"{tag:14} fixture logits_8: max |diff| {diff:.3g}  {'ok' if ok else 'MISMATCH'}")
                if not ok:
                    failures.append(f"{tag}: fixture logits differ by {diff:.3g}")

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    if shutil.which("node") is None:
        sys.exit("verify.py: node not found")
    sys.exit(main())
