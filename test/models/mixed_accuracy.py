#!/usr/bin/python3
"""Accuracy, size and latency of --precision=mixed against float and int8.

    /usr/bin/python3 test/models/mixed_accuracy.py [--build DIR] [--data DIR]
        [--models cnn,vit] [--budgets 50,60,70,80,90,100] [--threads N]
        [--latency] [--write-docs FILE] [--check]

For every model test/models/<model>-op17.onnx and size budget N% (of the
all-W8A8 weights of the layers):

  * accuracy: `qcc-run MODEL --interp=int --precision=mixed
    --size-budget=N% --calibration calib_image.npz --report R.json` on the
    first 1000 Fashion-MNIST test images (the calibration images come from
    the training split, test/models/int8_accuracy.py), top-1 against the
    labels, beside `qcc-run --interp=float`; the mix (per-layer bits), its
    size and the predicted layer-kernel time come from the report;
  * with --latency: `qcc-tune MODEL --shape image=1x1x28x28` measures the
    layer kernels on this machine (a fresh table), then `qcc MODEL ...
    --precision=mixed --size-budget=N% --report R.json -o libM.so` compiles
    one image per run and times the layers inside the library it built
    (per-op profiles, the report's measured.layers_ms), and `qcc-run libM.so
    --bench 200` measures the whole library (median ms per image), beside
    the predicted sum of the chosen kernels' times.

The forward-only sensitivity is measured once per model (cached in DIR/cache
for the other budgets). With --check, the runs at 60% must be within 1.5
points of float top-1 (issue 6) and contain 4-bit layers; the last line is
"mixed: N passed, N failed". With --write-docs FILE the table is written as
Markdown (utils/mixed-accuracy.sh regenerates docs/MixedPrecision.md).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402
import int8_accuracy  # noqa: E402

MAX_TOP1_DROP = 1.5
CHECK_BUDGET = 60


def run(cmd, env):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stdout.strip()}")
    return proc.stdout


def top1(out_dir, labels):
    logits = np.load(os.path.join(out_dir, "logits.npy"))
    return 100.0 * np.mean(logits.argmax(1) == labels)


def mix_of(report):
    """'W8A8 x2, W4A8 x7' from a report's per-layer choices."""
    counts = {}
    for layer in report["layers"]:
        counts[layer["chosen"]] = counts.get(layer["chosen"], 0) + 1
    return ", ".join(f"{k} x{v}" for k, v in sorted(counts.items(), reverse=True))


def measure_latency(args, env, work, model, onnx, budget, calib, table):
    """(predicted layer-kernel ms, measured layer ms in the library, measured
    library ms) for one image."""
    lib = os.path.join(work, f"lib{model}{budget}.so")
    report = os.path.join(work, f"{model}{budget}_lib.json")
    run([os.path.join(args.build, "bin", "qcc"), onnx, "--shape",
         "image=1x1x28x28", "--calibration", calib, "--precision=mixed",
         f"--size-budget={budget}%", f"--latency-table={table}",
         f"--report={report}", "-o", lib], env)
    with open(report) as f:
        rep = json.load(f)
    predicted = rep["totals"]["latency_ms"]
    if not rep.get("measured"):
        raise RuntimeError(f"{report} has no measured latency")
    layers = rep["measured"]["layers_ms"]
    image = os.path.join(work, "image_1.npy")
    out = run([os.path.join(args.build, "bin", "qcc-run"), lib, "--input",
               f"image={image}", "--bench", "200", "--threads",
               str(args.latency_threads), "--output-dir",
               os.path.join(work, "bench_out")], env)
    m = re.search(r"median ([0-9.]+) ms", out)
    if not m:
        raise RuntimeError(f"no median in qcc-run --bench output:\n{out}")
    return predicted, layers, float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "build", "models-data"))
    ap.add_argument("--models", default="cnn,vit")
    ap.add_argument("--budgets", default=str(CHECK_BUDGET))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--latency-threads", type=int, default=1)
    ap.add_argument("--write-docs", metavar="FILE")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    n = int8_accuracy.N_EVAL
    if not os.path.exists(os.path.join(args.data, f"labels_{n}.npy")):
        int8_accuracy.run(["/usr/bin/python3", os.path.join(HERE, "make_inputs.py"),
                           args.data])
    calib, _ = int8_accuracy.make_calibration(args.data)
    labels = np.load(os.path.join(args.data, f"labels_{n}.npy"))
    images = os.path.join(args.data, f"image_{n}.npy")
    budgets = [int(b) for b in args.budgets.split(",")]

    rows = []
    passed = failed = 0
    qcc_run = os.path.join(args.build, "bin", "qcc-run")
    with tempfile.TemporaryDirectory(prefix="qcc-mixed-") as work:
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        np.save(os.path.join(work, "image_1.npy"), np.load(images)[:1])
        for model in args.models.split(","):
            onnx = os.path.join(HERE, f"{model}-op17.onnx")
            run_args = [onnx, "--shape", f"image={n}x1x28x28", "--input",
                      f"image={images}", "--threads", str(args.threads)]
            run([qcc_run] + run_args + ["--output-dir", os.path.join(work, "float")],
                env)
            float_top1 = top1(os.path.join(work, "float"), labels)
            table = os.path.join(work, f"latency-{model}.json")
            if args.latency:
                run([os.path.join(args.build, "bin", "qcc-tune"), onnx, "--shape",
                     "image=1x1x28x28", f"--latency-table={table}", "--threads",
                     str(args.latency_threads)], env)
            for budget in budgets:
                name = f"{model} {budget}%"
                out_dir = os.path.join(work, f"{model}{budget}")
                report = os.path.join(work, f"{model}{budget}.json")
                try:
                    run([qcc_run] + run_args +
                        ["--interp=int", "--precision=mixed",
                         f"--size-budget={budget}%", "--calibration", calib,
                         f"--report={report}", "--output-dir", out_dir], env)
                    with open(report) as f:
                        rep = json.load(f)
                    latency = (measure_latency(args, env, work, model, onnx, budget,
                                               calib, table)
                               if args.latency else None)
                except RuntimeError as e:
                    infeasible = re.search(r"size budget ([0-9.e+]+) bytes is infeasible: "
                                           r"the smallest feasible size budget is "
                                           r"([0-9.e+]+) bytes", str(e))
                    if infeasible and budget != CHECK_BUDGET:
                        need, asked = float(infeasible.group(2)), float(infeasible.group(1))
                        print(f"{name:9s} infeasible: the first and last layers stay "
                              f"W8A8, the smallest feasible budget is {need:.0f} bytes")
                        rows.append((model, budget, float_top1, None, need,
                                     asked * 100 / budget, "infeasible", None))
                        continue
                    print(f"{name}: FAILED\n{e}")
                    failed += 1
                    continue
                acc = top1(out_dir, labels)
                size = rep["totals"]["size_bytes"]
                int8_size = rep["int8"]["size_bytes"]
                mix = mix_of(rep)
                line = (f"{name:9s} float {float_top1:6.2f}% mixed {acc:6.2f}% "
                        f"({acc - float_top1:+.2f}) size {size:.0f}/{int8_size:.0f} "
                        f"bytes ({100 * size / int8_size:.1f}%) [{mix}]")
                if latency:
                    line += (f" layers predicted {latency[0]:.4f} ms measured "
                             f"{latency[1]:.4f} ms, library {latency[2]:.4f} ms")
                if budget == CHECK_BUDGET:
                    ok = float_top1 - acc <= MAX_TOP1_DROP and "W4" in mix
                    passed += ok
                    failed += not ok
                    line += " ok" if ok else " FAIL"
                print(line, flush=True)
                rows.append((model, budget, float_top1, acc, size, int8_size, mix,
                             latency))
    if args.write_docs:
        write_docs(args.write_docs, rows, args)
    if args.check:
        print(f"mixed: {passed} passed, {failed} failed")
        sys.exit(1 if failed or passed == 0 else 0)


def write_docs(path, rows, args):
    cpu = common.cpu_model()
    lines = [
        "# Mixed precision: accuracy, size and latency by budget",
        "",
        "Generated by `utils/mixed-accuracy.sh` (builds, then `/usr/bin/python3 "
        "test/models/mixed_accuracy.py --budgets "
        f"{args.budgets} --latency --write-docs docs/MixedPrecision.md --check`) on "
        f"{datetime.date.today().isoformat()}, {cpu}. Do not edit by hand; "
        "docs/BitAllocation.md explains the method.",
        "",
        f"Accuracy: top-1 on the first {int8_accuracy.N_EVAL} Fashion-MNIST test "
        "images, `qcc-run --interp=int --precision=mixed --size-budget=N%` "
        "(calibration: 1000 training images, one batch of 1000 at this shape, "
        "on which the forward-only sensitivity is measured too; CBC). Size: bytes of the layers' weights (convs and matmuls by "
        "constant weights) at the chosen bits, and its share of all-W8A8. "
        "The first and last layers stay W8A8, and tied layers (residual "
        "pairs, shared inputs) share a configuration, so the size chosen can be "
        "below the budget. Latency, one image per run, "
        f"{args.latency_threads} thread(s): *predicted* is the sum of the chosen "
        "configurations' kernel times measured by `qcc-tune` (layer kernels "
        "only); *measured layer ms* is the same layers' time inside the "
        "finished library, the medians of their kernel calls from per-op "
        "profiles (`qcc ... --report=R.json -o lib.so` times the library it "
        "built; the report's `measured.layers_ms`); *library* is the median "
        "of 200 runs of the whole library (`qcc-run lib.so --bench 200`), "
        "which adds the non-layer ops and the call overhead. On this CPU the 4-bit "
        "kernels are no faster than the 8-bit ones (weights are unpacked to "
        "bytes for `vpdpbusd`), so the smaller mixes save memory, not time; "
        f"the issue's target is 60% within {MAX_TOP1_DROP} points of float.",
        "",
        "| model | budget | float top-1 | mixed top-1 | Δ points | size (bytes) | "
        "size / W8A8 | mix | predicted layer ms | measured layer ms | "
        "library ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (model, budget, ft, acc, size, int8_size, mix, latency) in rows:
        if acc is None:
            lines.append(f"| {model} | {budget}% | {ft:.2f}% | infeasible | | "
                         f"(smallest feasible: {size:.0f}) | "
                         f"{100 * size / int8_size:.1f}% | the first and last "
                         "layers stay W8A8 | | | |")
            continue
        pred, layers, meas = ((f"{latency[0]:.4f}", f"{latency[1]:.4f}",
                               f"{latency[2]:.4f}") if latency else ("", "", ""))
        lines.append(f"| {model} | {budget}% | {ft:.2f}% | {acc:.2f}% | "
                     f"{acc - ft:+.2f} | {size:.0f} | {100 * size / int8_size:.1f}% | "
                     f"{mix} | {pred} | {layers} | {meas} |")
    lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
