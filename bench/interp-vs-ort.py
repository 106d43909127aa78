#!/usr/bin/python3
"""Times the float reference interpreter (qcc-run) against ONNX Runtime fp32.

    bench/interp-vs-ort.py [--threads 1,2] [--repeat R] [--runs-scale F]
                           [--models cnn,vit,bert] [--bert-base]
                           [--markdown] [--build DIR]

For each test model (test/models/{cnn,vit,bert}-op17.onnx) and batch size,
writes Fashion-MNIST inputs (test/models/common.py preprocessing; bert at a
fixed 49-token padding with the per-sample lengths of common.eval_lengths,
or one sample unpadded), then runs, for every thread count T,

    build/bin/qcc-run MODEL --shape ... --input ... --bench N --threads T
    node utils/ort-run.js MODEL --input ... --bench N --threads T

(ONNX Runtime from npm in .deps/ort, fp32, graph optimisation level 'all',
the same inputs and thread count) and parses the median of the N timed
runs each tool prints. The pair is measured R times, alternating, and the
smallest median of each tool is kept: the machine is shared, and the least
disturbed run is the best estimate of either tool's speed. Prints one row
per (model, batch, threads): medians in ms, the ratio qcc/ORT, and the
largest difference between the two tools' outputs relative to the largest
output magnitude. No pass/fail: this is a measurement, not a test.

--bert-base adds "bert-base-2l": test/models/bert.py's architecture at
BERT-base width (hidden 768, 12 heads of 64, FFN 3072, 128 positions) with
2 layers and random weights, exported at opset 17 into a temporary
directory (torch), run at batch 1 and 8 with 128 tokens (variable lengths
as for bert).
"""

import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
import common  # noqa: E402

# (model, batch, timed runs): runs chosen so that one measurement takes
# about a second on the 2-core development machine.
CONFIGS = [
    ("cnn", 1, 400),
    ("cnn", 64, 100),
    ("vit", 1, 400),
    ("vit", 64, 100),
    ("bert", 1, 400),
    ("bert", 32, 60),
]

QCC_MEDIAN = re.compile(r"median ([0-9.]+) ms")
ORT_MEDIAN = re.compile(r"median ([0-9.]+) ms")


BERT_BASE = ("bert-base-2l", [(1, 40), (8, 10)])


def make_bert_base(directory):
    """Exports the BERT-base-width model (random weights); returns its path."""
    import torch
    import bert
    saved = (bert.DIM, bert.HEADS, bert.FFN, bert.LAYERS, common.SEQ_LEN)
    bert.DIM, bert.HEADS, bert.FFN, bert.LAYERS = 768, 12, 3072, 2
    common.SEQ_LEN = 128
    path = os.path.join(directory, "bert-base-2l-op17.onnx")
    try:
        torch.manual_seed(0)
        model = bert.build_model()
        ids = torch.randint(1, common.VOCAB, (2, 128))
        mask = torch.ones(2, 128, dtype=torch.int64)
        common.export_onnx(model, (ids, mask), path,
                           ["input_ids", "attention_mask"], ["logits"],
                           {"input_ids": {0: "batch", 1: "seq"},
                            "attention_mask": {0: "batch", 1: "seq"},
                            "logits": {0: "batch"}}, 17)
    finally:
        # The test models' inputs are made with the original sizes.
        bert.DIM, bert.HEADS, bert.FFN, bert.LAYERS, common.SEQ_LEN = saved
    return path


def make_inputs(model, batch, directory):
    """Writes the inputs of `model` for `batch` samples; returns the
    qcc-run --shape arguments and the NAME=FILE input list."""
    u8, _ = common.load_fmnist("t10k")
    u8 = u8[:batch]
    if model in ("cnn", "vit"):
        path = os.path.join(directory, f"image_{batch}.npy")
        np.save(path, common.preprocess_images(u8))
        return [f"image={batch}x1x28x28"], [f"image={path}"]
    if model == BERT_BASE[0]:
        # 128 random tokens, kept prefixes of 64..128 (the first one full).
        rng = np.random.default_rng(batch)
        tokens = rng.integers(1, common.VOCAB, size=(batch, 128))
        lengths = rng.integers(64, 129, size=batch)
        lengths[0] = 128
        ids, mask = common.pad_tokens(tokens, lengths, 128)
        shape = "x".join(str(d) for d in ids.shape)
        ids_path = os.path.join(directory, f"base_ids_{batch}.npy")
        mask_path = os.path.join(directory, f"base_mask_{batch}.npy")
        np.save(ids_path, ids)
        np.save(mask_path, mask)
        return ([f"input_ids={shape}", f"attention_mask={shape}"],
                [f"input_ids={ids_path}", f"attention_mask={mask_path}"])
    lengths = common.eval_lengths(batch)
    # One sample: unpadded (28 tokens); a batch: padded to the full 49.
    seq = None if batch == 1 else common.SEQ_LEN
    ids, mask = common.pad_tokens(common.tokenize(u8), lengths, seq)
    ids_path = os.path.join(directory, f"input_ids_{batch}.npy")
    mask_path = os.path.join(directory, f"attention_mask_{batch}.npy")
    np.save(ids_path, ids)
    np.save(mask_path, mask)
    shape = "x".join(str(d) for d in ids.shape)
    return ([f"input_ids={shape}", f"attention_mask={shape}"],
            [f"input_ids={ids_path}", f"attention_mask={mask_path}"])


def run(cmd, pattern):
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
                 f"{proc.stdout}{proc.stderr}")
    match = pattern.search(proc.stdout + proc.stderr)
    if not match:
        sys.exit(f"no median in the output of {' '.join(cmd)}:\n{proc.stdout}")
    return float(match.group(1))


def max_rel_diff(dir_a, dir_b):
    worst = 0.0
    for name in sorted(os.listdir(dir_a)):
        if not name.endswith(".npy"):
            continue
        a = np.load(os.path.join(dir_a, name)).astype(np.float64)
        b = np.load(os.path.join(dir_b, name)).astype(np.float64)
        scale = max(float(np.max(np.abs(b))), 1e-30)
        worst = max(worst, float(np.max(np.abs(a - b))) / scale)
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1,2",
                    help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="measure each pair R times, keep the smallest medians")
    ap.add_argument("--runs-scale", type=float, default=1.0,
                    help="multiply the timed runs per measurement")
    ap.add_argument("--models", default="cnn,vit,bert")
    ap.add_argument("--bert-base", action="store_true",
                    help="also a 2-layer BERT-base-width model (needs torch)")
    ap.add_argument("--markdown", action="store_true",
                    help="print the table as Markdown")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()

    qcc_run = os.path.join(args.build, "bin", "qcc-run")
    ort_run = os.path.join(ROOT, "utils", "ort-run.js")
    for path in (qcc_run, ort_run):
        if not os.path.exists(path):
            sys.exit(f"missing {path} (run utils/setup.sh and utils/build.sh)")
    threads = [int(t) for t in args.threads.split(",")]
    models = args.models.split(",")

    rows = []
    with tempfile.TemporaryDirectory(prefix="qcc-bench-") as tmp:
        configs = [c for c in CONFIGS if c[0] in models]
        onnx_paths = {m: os.path.join("test", "models", f"{m}-op17.onnx")
                      for m in models}
        if args.bert_base:
            onnx_paths[BERT_BASE[0]] = make_bert_base(tmp)
            configs += [(BERT_BASE[0], b, r) for b, r in BERT_BASE[1]]
        for model, batch, runs in configs:
            runs = max(5, int(runs * args.runs_scale))
            onnx = onnx_paths[model]
            shapes, inputs = make_inputs(model, batch, tmp)
            for t in threads:
                qcc_out = os.path.join(tmp, "qcc")
                ort_out = os.path.join(tmp, "ort")
                qcc_cmd = [qcc_run, onnx, "--bench", str(runs),
                           "--threads", str(t), "--output-dir", qcc_out]
                for s in shapes:
                    qcc_cmd += ["--shape", s]
                for i in inputs:
                    qcc_cmd += ["--input", i]
                ort_cmd = ["node", ort_run, onnx, "--bench", str(runs),
                           "--threads", str(t), "--output-dir", ort_out,
                           "--quiet"]
                for i in inputs:
                    ort_cmd += ["--input", i]
                qcc_ms, ort_ms = [], []
                for _ in range(args.repeat):
                    qcc_ms.append(run(qcc_cmd, QCC_MEDIAN))
                    ort_ms.append(run(ort_cmd, ORT_MEDIAN))
                diff = max_rel_diff(qcc_out, ort_out)
                rows.append((model, batch, t, min(qcc_ms), min(ort_ms), diff))
                print(f"# {model} batch {batch} threads {t}: qcc {qcc_ms} "
                      f"ort {ort_ms}", file=sys.stderr, flush=True)

    print(f"# {datetime.date.today()}, {common.cpu_model()}, "
          f"{os.cpu_count()} hardware threads; median of N runs, "
          f"smallest of {args.repeat} measurements")
    header = ("model", "batch", "threads", "qcc ms", "ORT ms", "qcc/ORT",
              "max|diff|/max|out|")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|---|---:|---:|---:|---:|---:|---:|")
    else:
        print("{:<13}{:>6}{:>8}{:>10}{:>10}{:>9}{:>20}".format(*header))
    for model, batch, t, q, o, diff in rows:
        cells = (model, str(batch), str(t), f"{q:.3f}", f"{o:.3f}",
                 f"{q / o:.2f}", f"{diff:.1e}")
        if args.markdown:
            print("| " + " | ".join(cells) + " |")
        else:
            print("{:<13}{:>6}{:>8}{:>10}{:>10}{:>9}{:>20}".format(*cells))


if __name__ == "__main__":
    main()
