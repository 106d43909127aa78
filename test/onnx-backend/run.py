#!/usr/bin/python3
"""Runs ONNX 1.12's backend node tests against qcc.

    /usr/bin/python3 test/onnx-backend/run.py [--import-only] [options] [REGEX...]

Every generated node test (test/onnx-backend/generate.py) is classified:

  unsupported-op  the model uses an operator outside `qcc --list-onnx-ops`;
                  qcc must reject it cleanly (exit 1, "unsupported ONNX
                  operators"), which is checked, but it is not a failure
  passed          supported, and it ran and matched the reference outputs
  xfailed         supported, failed, and listed in xfail.txt with a reason
  failed          supported, failed, not listed; or any crash (signal or exit
                  code > 1) or timeout, in any class
  xpassed         listed in xfail.txt but passed: fails the run too

Modes:
  full (default)  `qcc-run MODEL --interp=float --input NAME=FILE.npy ...
                  --output-dir DIR`, each DIR/<output>.npy compared with the
                  test's expected output: same dtype and shape; floats within
                  rtol=1e-3, atol=1e-7 (ONNX's backend defaults; NaNs must
                  match), integers and booleans exactly
  --import-only   `qcc MODEL --emit=mlir`: import + prepare must succeed

Exit status: 0 when nothing failed and nothing passed unexpectedly.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import generate  # noqa: E402

RTOL = 1e-3
ATOL = 1e-7
UNSUPPORTED_DIAG = "unsupported ONNX operators"


def parse_xfail(path):
    """Reads `name: reason` / `name [full]: reason` lines.

    Returns {name: (modes, reason)}: modes is {"import-only", "full"} for
    an entry that fails in both modes (an import failure also fails
    execution) and {"full"} for one that imports but does not execute
    correctly.
    """
    table = {}
    errors = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"(test_\w+)\s*(\[full\])?\s*:\s*(\S.*)", line)
            if not m:
                errors.append(f"{path}:{lineno}: expected 'test_name: reason' "
                              f"or 'test_name [full]: reason'")
                continue
            name, full, reason = m.groups()
            if name in table:
                errors.append(f"{path}:{lineno}: {name} is listed twice")
            table[name] = ({"full"} if full else {"import-only", "full"},
                           reason)
    return table, errors


def graph_ops(graph):
    """(domain, op_type) of every node, subgraphs (If/Loop/Scan) included."""
    import onnx

    ops = set()
    for node in graph.node:
        domain = "" if node.domain in ("", "ai.onnx") else node.domain
        ops.add((domain, node.op_type))
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                ops |= graph_ops(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    ops |= graph_ops(g)
    return ops


def describe(rc):
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


def first_error(text):
    """The first diagnostic line, without the 'path:0:0: ' prefix."""
    for line in text.splitlines():
        if "error:" in line:
            return line[line.index("error:") + len("error:"):].strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[0].strip() if lines else "(no output)"


class Runner:
    def __init__(self, args):
        self.args = args
        self.qcc = os.path.join(args.build, "bin", "qcc")
        self.qcc_run = os.path.join(args.build, "bin", "qcc-run")

    def execute(self, cmd):
        """Runs cmd in its own process group; returns (rc, output) or
        (None, output) on timeout."""
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                errors="replace", start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=self.args.timeout)
            return proc.returncode, out
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            return None, out

    def run_test(self, test):
        """Returns (outcome, detail): outcome is "ok", "fail" (a comparison
        or a clean qcc error: may be expected), "crash" (never expected) or,
        for unsupported-op tests, "unsupported"."""
        model = os.path.join(test["dir"], "model.onnx")
        if test["unsupported"]:
            # qcc must reject the model cleanly, naming the operators.
            rc, out = self.execute([self.qcc, model, "--emit=mlir", "--precision=fp32", "-o",
                                    os.devnull])
            if rc is None:
                return "crash", f"timeout after {self.args.timeout} s"
            if rc == 1 and UNSUPPORTED_DIAG in out:
                return "unsupported", ""
            if rc == 0:
                return "crash", ("imported although it uses unsupported "
                                 "operators")
            if rc == 1:
                return "crash", ("rejected without the '" + UNSUPPORTED_DIAG +
                                 "' diagnostic: " + first_error(out))
            return "crash", describe(rc) + ": " + first_error(out)
        work = tempfile.mkdtemp(prefix=test["name"] + ".", dir=self.args.work)
        try:
            model, inputs, expected = prepare(test["dir"], work)
            if self.args.import_only:
                cmd = [self.qcc, model, "--emit=mlir", "--precision=fp32", "-o", os.devnull]
            else:
                os.makedirs(os.path.join(work, "out"))
                cmd = [self.qcc_run, model, "--interp=float", "--output-dir",
                       os.path.join(work, "out")]
                for name, npy in inputs:
                    cmd += ["--input", f"{name}={npy}"]
            rc, out = self.execute(cmd)
            if rc is None:
                return "crash", f"timeout after {self.args.timeout} s"
            if rc > 1 or rc < 0:
                return "crash", describe(rc) + ": " + first_error(out)
            if rc == 1:
                return "fail", first_error(out)
            if self.args.import_only:
                return "ok", ""
            import numpy as np

            for name, ref in expected.items():
                path = os.path.join(work, "out", name + ".npy")
                if not os.path.exists(path):
                    return "fail", f"output '{name}' not written"
                got = np.load(path, allow_pickle=False)
                problem = compare(name, ref, got)
                if problem:
                    return "fail", problem
            return "ok", ""
        finally:
            if not self.args.keep:
                shutil.rmtree(work, ignore_errors=True)


# Operands the importer requires to be compile-time constants (static shapes,
# constant quantization parameters, Dropout's training mode:
# docs/ONNXSupport.md), by operator and
# input index. ONNX's node tests often feed them as graph inputs; such an
# input is turned into an initializer holding the test's value, which keeps
# the test's semantics (onnx-mlir's backend tests do the same).
CONSTANT_OPERANDS = {
    "Clip": {1, 2},
    "ConstantOfShape": {0},
    "ConvInteger": {2, 3},
    "DequantizeLinear": {1, 2},
    "Dropout": {1, 2},
    "Expand": {1},
    "MatMulInteger": {2, 3},
    "Pad": {1, 2, 3},
    "QLinearConv": {1, 2, 4, 5, 6, 7},
    "QLinearMatMul": {1, 2, 4, 5, 6, 7},
    "QuantizeLinear": {1, 2},
    "Range": {0, 1, 2},
    "ReduceMax": {1},
    "ReduceMean": {1},
    "ReduceSum": {1},
    "Reshape": {1},
    "Slice": {1, 2, 3, 4},
    "Split": {1},
    "Squeeze": {1},
    "Unsqueeze": {1},
}


def load_tensor(path):
    import onnx
    from onnx import numpy_helper

    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def prepare(test_dir, work):
    """Returns (model path, [(input name, .npy path)], {output name: array})
    for the test's first data set, folding constant operands (see
    CONSTANT_OPERANDS) into a rewritten model under `work`."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model_path = os.path.join(test_dir, "model.onnx")
    data = os.path.join(test_dir, "test_data_set_0")
    model = onnx.load(model_path, load_external_data=False)
    graph = model.graph
    constant = set()
    for node in graph.node:
        for i in CONSTANT_OPERANDS.get(node.op_type, ()):
            if i < len(node.input) and node.input[i]:
                constant.add(node.input[i])
    initializers = {t.name for t in graph.initializer}
    inputs = []
    folded = []
    for j, info in enumerate(graph.input):
        pb = os.path.join(data, f"input_{j}.pb")
        if (info.name in initializers or not os.path.exists(pb)
                or not info.type.HasField("tensor_type")):
            continue  # qcc rejects non-tensor (sequence, optional) inputs
        array = load_tensor(pb)
        if info.name in constant:
            folded.append(info.name)
            graph.initializer.append(numpy_helper.from_array(array, info.name))
            continue
        npy = os.path.join(work, f"input_{j}.npy")
        np.save(npy, array)
        inputs.append((info.name, npy))
    expected = {}
    for j, info in enumerate(graph.output):
        pb = os.path.join(data, f"output_{j}.pb")
        if os.path.exists(pb) and info.type.HasField("tensor_type"):
            expected[info.name] = load_tensor(pb)
    if folded:
        kept = [i for i in graph.input if i.name not in folded]
        del graph.input[:]
        graph.input.extend(kept)
        model_path = os.path.join(work, "model.onnx")
        onnx.save(model, model_path)
    return model_path, inputs, expected


def compare(name, ref, got):
    """None if got matches ref, else what differs."""
    import numpy as np

    if got.dtype != ref.dtype:
        return f"output '{name}': dtype {got.dtype}, expected {ref.dtype}"
    if got.shape != ref.shape:
        return f"output '{name}': shape {got.shape}, expected {ref.shape}"
    if np.issubdtype(ref.dtype, np.floating):
        nan_ref, nan_got = np.isnan(ref), np.isnan(got)
        if not np.array_equal(nan_ref, nan_got):
            return f"output '{name}': NaNs differ"
        r, g = ref[~nan_ref].astype(np.float64), got[~nan_got].astype(np.float64)
        inf = np.isinf(r) | np.isinf(g)
        if not np.array_equal(r[inf], g[inf]):
            return f"output '{name}': infinities differ"
        err = np.abs(g[~inf] - r[~inf])
        bad = err > ATOL + RTOL * np.abs(r[~inf])
        if bad.any():
            return (f"output '{name}': {int(bad.sum())} of {ref.size} values "
                    f"off by up to {err.max():.3g} (rtol={RTOL}, atol={ATOL})")
        return None
    if not np.array_equal(ref, got):
        diff = int(np.sum(ref != got))
        return f"output '{name}': {diff} of {ref.size} values differ"
    return None


def collect(node_dir, supported, patterns):
    import onnx

    tests = []
    for name in sorted(os.listdir(node_dir)):
        if patterns and not any(re.search(p, name) for p in patterns):
            continue
        d = os.path.join(node_dir, name)
        model = onnx.load(os.path.join(d, "model.onnx"),
                          load_external_data=False)
        ops = graph_ops(model.graph)
        missing = sorted(f"{dom}::{op}" if dom else op for dom, op in ops
                         if dom or op not in supported)
        tests.append({"name": name, "dir": d, "unsupported": missing})
    return tests


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("patterns", nargs="*", metavar="REGEX",
                        help="run only tests whose name matches")
    parser.add_argument("--import-only", action="store_true",
                        help="only import (qcc --emit=mlir), no execution")
    parser.add_argument("--auto", action="store_true",
                        help="full mode if qcc-run executes a probe model "
                             "(test_relu), else import-only (utils/check.sh)")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="qcc build directory (default: build/)")
    parser.add_argument("--data", default=None,
                        help="generated tests (default: BUILD/onnx-backend)")
    parser.add_argument("--xfail", default=os.path.join(HERE, "xfail.txt"))
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30,
                        help="seconds per test (default 30)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the .npy files of every test")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every test's result")
    args = parser.parse_args()
    args.data = args.data or os.path.join(args.build, "onnx-backend")
    start = time.time()

    generate.ensure(args.data)
    args.work = os.path.join(args.build, "onnx-backend-work")
    os.makedirs(args.work, exist_ok=True)
    if args.auto and not args.import_only:
        problem = probe_execution(args)
        if problem:
            print(f"onnx-backend: import-only mode: {problem}")
            args.import_only = True
    mode = "import-only" if args.import_only else "full"

    listed = subprocess.run([os.path.join(args.build, "bin", "qcc"),
                             "--list-onnx-ops"], capture_output=True, text=True)
    if listed.returncode != 0 or not listed.stdout.split():
        print("onnx-backend: `qcc --list-onnx-ops` failed", file=sys.stderr)
        return 1
    supported = set(listed.stdout.split())

    xfail, problems = parse_xfail(args.xfail)
    tests = collect(os.path.join(args.data, "node"), supported, args.patterns)
    names = {t["name"] for t in tests}
    by_name = {t["name"]: t for t in tests}
    if not args.patterns:
        for name in sorted(set(xfail) - names):
            problems.append(f"xfail.txt lists {name}, which is not a "
                            f"generated test")
    for name in sorted(set(xfail) & names):
        if by_name[name]["unsupported"]:
            problems.append(f"xfail.txt lists {name}, which is selected as "
                            f"unsupported-op ({', '.join(by_name[name]['unsupported'])})")

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(runner_call, Runner(args), t): t["name"]
                   for t in tests}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()

    counts = {k: 0 for k in ("passed", "xfailed", "unsupported", "failed",
                             "xpassed")}
    lines = []
    for t in tests:
        name = t["name"]
        outcome, detail = results[name]
        entry = xfail.get(name)
        expected_fail = entry is not None and mode in entry[0]
        if outcome == "unsupported":
            status = "unsupported"
            detail = ", ".join(t["unsupported"])
        elif outcome == "crash":
            status = "failed"
        elif outcome == "ok":
            status = "xpassed" if expected_fail else "passed"
            if expected_fail:
                detail = "listed in xfail.txt (" + entry[1] + ") but passes"
        else:
            status = "xfailed" if expected_fail else "failed"
        counts[status] += 1
        if status in ("failed", "xpassed") or args.verbose:
            lines.append(f"{status.upper()}: {name}: {detail}")
    for line in lines:
        print(line)
    for problem in problems:
        print("ERROR: " + problem)

    print(f"\nonnx-backend ({mode} mode, {len(tests)} node tests, "
          f"{time.time() - start:.0f} s): {counts['passed']} passed, "
          f"{counts['xfailed']} xfailed, {counts['unsupported']} unsupported-op, "
          f"{counts['failed']} failed, {counts['xpassed']} unexpectedly passed")
    ok = counts["failed"] == 0 and counts["xpassed"] == 0 and not problems
    return 0 if ok else 1


def probe_execution(args):
    """None if qcc-run executes ONNX's test_relu, else why not."""
    runner = Runner(args)
    test = {"name": "test_relu", "unsupported": [],
            "dir": os.path.join(args.data, "node", "test_relu")}
    outcome, detail = runner_call(runner, test)
    if outcome == "ok":
        return None
    return f"qcc-run does not execute models ({detail})"


def runner_call(runner, test):
    try:
        return runner.run_test(test)
    except Exception as e:  # a runner bug must show up as a failure
        return "crash", f"runner error: {type(e).__name__}: {e}"


if __name__ == "__main__":
    sys.exit(main())
