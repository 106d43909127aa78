#!/usr/bin/python3
"""Measures whole models side by side: the qcc library, ONNX Runtime fp32 and
ONNX Runtime int8 (QDQ), plus qcc's compile time and the library's memory.

    bench/models.py [--models bert,resnet18,vit] [--threads 1,2] [--repeat R]
                    [--runs-scale F] [--markdown] [--build DIR] [--out DIR]
                    [--reuse-libs] [--skip-memory] [--force-models]

Run with Debian's /usr/bin/python3 (numpy, onnx, torch). Models (random
weights, fixed seeds; bench/models/make_models.py writes them into --out,
default build/bench-models, once; --force-models rewrites them):

    bert      BERT-base encoder (hidden 768, 12 heads, FFN 3072, 12 layers,
              vocabulary 30522), batch 8 x 128 tokens with realistic lengths
              (kept prefixes of 64..128 tokens; padding is computed anyway)
    resnet18  ResNet-18, 1 x 3 x 224 x 224
    vit       test/models/vit-op17.onnx (Fashion-MNIST), 64 images

each as a float ONNX model and a QDQ model (test/models/make_qdq.py, from a
few calibration samples; see make_models.py). Then, per model:

1. Compile: `qcc NAME-qdq.onnx --shape ... -o DIR/libNAME.so`, timed (wall
   clock; peak RSS from /usr/bin/time when present). If qcc rejects the QDQ
   model alone (the BERT-style model does: its attention mask is cast to
   float without a Q/DQ pair, and the cast's range must come from
   calibration, docs/Quantization.md), the error is printed (as a note) and the command
   is repeated with `--calibration NAME-calib.npz`; the table marks such
   rows with "+calib".
2. Activation estimate: `qcc ... --emit=mlir` (the integer IR); every op
   result is an activation of the size of its tensor type (i1 counts one
   byte) except constants, reshapes (aliases), and the values inside a
   chain that the CPU backend fuses into one qcc_rt_linear call
   (lib/Target/CPU/FuseLinear.h: matmul/conv by a constant weight ->
   [add of a constant bias] -> requant or requant_add, each value read
   once; the chain's result is live from the root on). A live range runs
   from the op to the last reader (through reshape aliases). Graph inputs
   and outputs are the caller's buffers and are not counted. "2 largest
   live" is the largest sum of the two biggest activations live at the
   same op (an op's operands and result are live together); "peak live" is
   the largest sum of all live activations, what an ideal arena needs.
3. Timing, for every thread count T:

       build/bin/qcc-run DIR/libNAME.so --input ... --bench N --threads T
       node utils/ort-run.js DIR/NAME.onnx --input ... --bench N --threads T
       node utils/ort-run.js DIR/NAME-qdq.onnx --input ... --bench N --threads T

   (ONNX Runtime 1.30 from npm, graph optimisation 'all', T intra-op
   threads; on the QDQ model it fuses DQ -> op -> Q into QLinearConv,
   QLinearMatMul, MatMulIntegerToFloat, ...). Each prints the median of N
   timed runs after one warm-up run (N per model below, times
   --runs-scale). The three commands run in turn, R times (--repeat), and
   the smallest median of each tool is kept: the machine is shared and
   the least disturbed run is the best estimate of each tool's speed.
   "other load" is the largest, over the three kept measurements, of the
   CPU time other processes used during the measurement (from /proc/stat,
   minus this script's children) per second of wall time, in cores: near 0
   the numbers are clean; at 0.5 or more another process took a good share
   of the 2 cores and the row should be measured again.
4. Agreement: the outputs of the first run of each tool (same inputs).
   For qcc and for ORT int8 against ORT fp32: the share of rows whose
   argmax (last axis) agrees, and max|diff| / max|fp32 output|.
5. Memory (--skip-memory to leave out): bench/memory.c, compiled with cc,
   loads the library with dlopen and runs it twice on the same inputs at
   the largest T; the library's memory is the peak RSS (VmHWM) minus the
   RSS before dlopen (inputs and outputs are allocated before). Its parts:
   "load+create" (RSS after dlopen and NAME_create, before any run),
   "anon" (anonymous memory: arena, kernel scratch, thread stacks) and
   "file" (mapped pages of the library: code and weights). The bound
   of the requirement is 1.2 x weights + the two largest live activations,
   with weights = the library's .rodata + .data + .data.rel.ro (every
   initialised constant: weights, attribute arrays, shapes). The arena
   size the library asks for is read from its descriptor (PREFIX__model,
   field arena_bytes, include/qcc/Runtime/RuntimeABI.h).

Prints the tables (--markdown: as Markdown) and the commands to stdout,
progress to stderr. No pass/fail: this is a measurement, not a test.
"""

import argparse
import datetime
import json
import mmap
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench", "models"))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
import make_models  # noqa: E402
from common import cpu_model  # noqa: E402

# Timed runs per measurement (before --runs-scale): about 2-5 s of the
# slowest tool each on the 2-core development machine.
RUNS = {"bert": 3, "resnet18": 20, "vit": 30}
MEDIAN = re.compile(r"median ([0-9.]+) ms")


def log(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


def cpu_seconds():
    """(busy CPU seconds of the whole machine, CPU seconds of this process's
    finished children): their difference over a measurement is the work of
    other processes, which disturbs it."""
    import resource
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        busy = float("nan")
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, own.ru_utime + own.ru_stime


def measure(cmd, what):
    """(median ms, cores used by other processes during the command)."""
    busy0, own0 = cpu_seconds()
    t0 = time.perf_counter()
    ms = median_ms(cmd, what)
    wall = time.perf_counter() - t0
    busy1, own1 = cpu_seconds()
    return ms, max(0.0, (busy1 - busy0) - (own1 - own0)) / wall


def tool_stamps(build):
    """Modification times of the tools and of the runtime archive that qcc
    links into every library: a rebuild during the run mixes versions."""
    paths = [os.path.join(build, "bin", "qcc"), os.path.join(build, "bin", "qcc-run"),
             os.path.join(build, "lib", "libqcc_runtime.a")]
    return {os.path.relpath(p, ROOT): os.path.getmtime(p) for p in paths if os.path.exists(p)}


class Failure(Exception):
    """A tool failed on one model: reported, and the next model goes on."""


def indent(text):
    return "\n".join("      " + line for line in text.strip().splitlines())


def run(cmd, what):
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise Failure(f"{what} failed (exit status {proc.returncode}): `{show(cmd)}`\n"
                      + indent(proc.stdout + proc.stderr))
    return proc.stdout + proc.stderr


def median_ms(cmd, what):
    out = run(cmd, what)
    match = MEDIAN.search(out)
    if not match:
        raise Failure(f"no median in the output of `{show(cmd)}`:\n" + indent(out))
    return float(match.group(1))


def show(cmd):
    """A command line with paths (also in NAME=PATH) relative to the repository root."""
    def short(arg):
        key, eq, value = arg.rpartition("=")
        if eq and os.path.isabs(value):
            return key + "=" + os.path.relpath(value, ROOT)
        return os.path.relpath(arg, ROOT) if os.path.isabs(arg) else arg
    return " ".join(short(c) for c in cmd)


# ---------------------------------------------------------------- compile

def compile_model(qcc, meta, lib, use_calibration):
    """Runs qcc on the QDQ model; returns (seconds, peak RSS MiB or None, cmd)."""
    cmd = [qcc, meta["qdq"]]
    for name, spec in meta["inputs"].items():
        cmd += ["--shape", f"{name}=" + "x".join(str(d) for d in spec["shape"])]
    if use_calibration:
        cmd += ["--calibration", meta["calib"]]
    cmd += ["-o", lib]
    timed = cmd
    rss_file = None
    if os.path.exists("/usr/bin/time"):
        rss_file = tempfile.NamedTemporaryFile(prefix="qcc-time-", delete=False).name
        timed = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    t0 = time.perf_counter()
    proc = subprocess.run(timed, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    rss = None
    if rss_file:
        try:
            with open(rss_file) as f:
                rss = int(f.read().split()[-1]) / 1024.0
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_file)
    return proc, seconds, rss, cmd


# ---------------------------------------------------------------- ELF

def elf_info(path):
    """Section sizes and the symbol table of an ELF64 little-endian file:
    ({section: (addr, offset, size, type)}, {symbol: (value, size, shndx)},
    [section names by index], mmap)."""
    f = open(path, "rb")
    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    f.close()
    if mm[:4] != b"\x7fELF" or mm[4] != 2 or mm[5] != 1:
        sys.exit(f"{path}: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", mm, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", mm, 0x3A)
    raw = [struct.unpack_from("<IIQQQQIIQQ", mm, shoff + i * shentsize)
           for i in range(shnum)]
    strtab_off = raw[shstrndx][4]

    def cstr(base, off):
        end = mm.find(b"\0", base + off)
        return mm[base + off:end].decode()

    names = [cstr(strtab_off, s[0]) for s in raw]
    sections = {names[i]: (s[3], s[4], s[5], s[1]) for i, s in enumerate(raw)}
    symbols = {}
    for i, s in enumerate(raw):
        if s[1] != 2:  # SHT_SYMTAB
            continue
        link_off = raw[s[6]][4]
        for k in range(s[5] // 24):
            st_name, _, _, shndx, value, size = struct.unpack_from(
                "<IBBHQQ", mm, s[4] + k * 24)
            if st_name:
                symbols[cstr(link_off, st_name)] = (value, size, shndx)
    return sections, symbols, names, mm


def library_info(lib, prefix):
    sections, symbols, names, mm = elf_info(lib)
    size = {k: sections[k][2] if k in sections else 0
            for k in (".text", ".rodata", ".data", ".data.rel.ro")}
    # Weights: plain constants (qcc_cst_N) and packed linear blobs (qcc_linear_N).
    constants = sum(v[1] for k, v in symbols.items()
                    if k.startswith(("qcc_cst_", "qcc_linear_")))
    arena = None
    model = symbols.get(f"{prefix}__model")
    if model is not None and model[2] < len(names):
        addr, offset, _, kind = sections[names[model[2]]]
        if kind != 8:  # not SHT_NOBITS
            arena, = struct.unpack_from("<q", mm, offset + model[0] - addr + 40)
    mm.close()
    return {"text": size[".text"],
            "weights": size[".rodata"] + size[".data"] + size[".data.rel.ro"],
            "constants": constants, "arena": arena}


def library_prefix(lib):
    """include/qcc/Support/LibraryName.h's rule."""
    stem = os.path.splitext(os.path.basename(lib))[0]
    if stem.startswith("lib"):
        stem = stem[3:]
    prefix = "".join(c if c.isalnum() and c.isascii() else "_" for c in stem)
    if not prefix or prefix[0].isdigit():
        prefix = "model_" + prefix
    return prefix


# ---------------------------------------------------------------- activations

ELEMENT_BYTES = {"i1": 1, "i8": 1, "ui8": 1, "si8": 1, "i16": 2, "ui16": 2, "i32": 4,
                 "ui32": 4, "i64": 8, "f32": 4, "f16": 2, "bf16": 2, "f64": 8}
TENSOR = re.compile(r"tensor<([0-9x]*?)x?([a-z]+[0-9]+)>")
DEF = re.compile(r"^\s*(%[\w.$-]+)(?::(\d+))?\s*=\s*([\w.]+)")
USE = re.compile(r"%[\w.$-]+")


def tensor_bytes(match):
    dims, elem = match.groups()
    n = 1
    for d in dims.split("x"):
        if d:
            n *= int(d)
    return n * ELEMENT_BYTES.get(elem, 4)


def parse_integer_ir(mlir_path):
    """The ops of the integer IR in program order, as dicts {result, op,
    operands, bytes}, and the set of constant values. Constants are never
    stored (their lines can be hundreds of MB of hex); `return` is an op
    "return" without a result."""
    ops, constants = [], set()
    with open(mlir_path) as f:
        for line in f:
            m = DEF.match(line)
            if m is None:
                stripped = line.strip()
                if stripped.startswith(("return ", "func.return ")):
                    ops.append({"result": None, "op": "return", "bytes": 0,
                                "operands": USE.findall(stripped.split(":")[0])})
                continue
            name, count, op = m.group(1), m.group(2), m.group(3)
            if op in ("qcc.constant", "arith.constant"):
                constants.add(name)
                continue
            if count is not None:
                sys.exit(f"{mlir_path}: ops with several results are not handled: {line[:200]}")
            rhs = line[m.end():]
            types = list(TENSOR.finditer(rhs.rsplit("->", 1)[-1] if "->" in rhs else rhs))
            attrs = rhs.find("{")
            operands = USE.findall(rhs if attrs < 0 else rhs[:attrs])
            ops.append({"result": name, "op": op, "operands": operands,
                        "bytes": tensor_bytes(types[-1]) if types else 0})
    return ops, constants


def activation_estimate(mlir_path):
    """(largest activation, two largest live at once, peak live, number of
    activations) in bytes from the integer IR (see the module docstring)."""
    ops, constants = parse_integer_ir(mlir_path)
    index = {op["result"]: k for k, op in enumerate(ops) if op["result"]}
    readers = {}
    for k, op in enumerate(ops):
        for u in op["operands"]:
            readers.setdefault(u, []).append(k)

    def only_reader(v):
        r = readers.get(v, [])
        return ops[r[0]] if len(r) == 1 else None

    # The backend's linear fusion (lib/Target/CPU/FuseLinear.h): matmul/conv
    # by a constant weight [-> add of a constant bias] -> requant or
    # requant_add with a residual computed before the root, each value read
    # once. The values inside a chain get no memory; the chain's result is
    # live from the root on.
    internal, start = set(), {}
    for k, op in enumerate(ops):
        if op["op"] not in ("qcc.matmul", "qcc.conv") or len(op["operands"]) < 2 \
                or op["operands"][1] not in constants:
            continue
        chain, v = [op["result"]], op["result"]
        nxt = only_reader(v)
        if nxt is not None and nxt["op"] == "qcc.add" and \
                any(u in constants for u in nxt["operands"] if u != v):
            chain.append(nxt["result"])
            v = nxt["result"]
            nxt = only_reader(v)
        if nxt is None or nxt["op"] not in ("qcc.requant", "qcc.requant_add"):
            continue
        if nxt["op"] == "qcc.requant_add" and any(
                index.get(u, -1) > k for u in nxt["operands"] if u != v):
            continue
        internal.update(chain)
        start[nxt["result"]] = k

    alias, size, defined, last, returned = {}, {}, {}, {}, set()
    for k, op in enumerate(ops):
        uses = [alias.get(u, u) for u in op["operands"]]
        for u in uses:
            if u in defined:
                last[u] = k
        if op["op"] == "return":
            returned.update(uses)
        elif op["op"] == "qcc.reshape" and uses:
            alias[op["result"]] = uses[0]
        else:
            v = op["result"]
            size[v] = 0 if v in internal else op["bytes"]
            defined[v] = start.get(v, k)
            last[v] = k
    acts = [v for v in size if v not in returned and size[v] > 0]
    largest = max((size[v] for v in acts), default=0)
    two, peak = 0, 0
    for k in range(len(ops)):
        live = sorted((size[v] for v in acts if defined[v] <= k <= last[v]), reverse=True)
        two = max(two, sum(live[:2]))
        peak = max(peak, sum(live))
    return largest, two, peak, len(acts)


# ---------------------------------------------------------------- agreement

def agreement(dir_a, dir_ref):
    """(share of argmax agreement, max|a - ref| / max|ref|) over all outputs."""
    agree, rows, worst = 0, 0, 0.0
    for name in sorted(os.listdir(dir_ref)):
        if not name.endswith(".npy"):
            continue
        a = np.load(os.path.join(dir_a, name)).astype(np.float64)
        b = np.load(os.path.join(dir_ref, name)).astype(np.float64)
        scale = max(float(np.max(np.abs(b))), 1e-30)
        worst = max(worst, float(np.max(np.abs(a - b))) / scale)
        if b.ndim >= 1 and b.shape[-1] > 1:
            am = a.reshape(-1, b.shape[-1]).argmax(1)
            bm = b.reshape(-1, b.shape[-1]).argmax(1)
            agree += int((am == bm).sum())
            rows += am.size
    return (agree / rows if rows else float("nan")), worst


# ---------------------------------------------------------------- output

def git_state():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes" if dirty else "")
    except OSError:
        return "unknown"


def table(header, rows, markdown, align):
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" if a == "<" else "---:" for a in align) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max([len(h)] + [len(r[i]) for r in rows]) + 2 for i, h in enumerate(header)]
        fmt = "".join(f"{{:{a}{w}}}" for a, w in zip(align, widths))
        print(fmt.format(*header))
        for r in rows:
            print(fmt.format(*r))
    print()


def mib(b):
    return f"{b / 2**20:.1f}" if b >= 2**20 else f"{b / 2**20:.2f}"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(make_models.MODELS))
    ap.add_argument("--threads", default="1,2",
                    help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="measure each tool R times, keep the smallest median")
    ap.add_argument("--runs-scale", type=float, default=1.0,
                    help="multiply the timed runs per measurement")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="qcc build directory (bin/qcc, bin/qcc-run)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-models"),
                    help="models, libraries and outputs")
    ap.add_argument("--reuse-libs", action="store_true",
                    help="do not recompile libraries that exist (no compile time)")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--force-models", action="store_true",
                    help="regenerate the models and their inputs")
    args = ap.parse_args()

    qcc = os.path.join(args.build, "bin", "qcc")
    qcc_run = os.path.join(args.build, "bin", "qcc-run")
    ort_run = os.path.join(ROOT, "utils", "ort-run.js")
    for path in (qcc, qcc_run, ort_run):
        if not os.path.exists(path):
            sys.exit(f"missing {path} (run utils/setup.sh and utils/build.sh)")
    threads = [int(t) for t in args.threads.split(",")]
    models = args.models.split(",")
    for m in models:
        if m not in make_models.MODELS:
            sys.exit(f"unknown model {m!r} (known: {', '.join(make_models.MODELS)})")
    os.makedirs(args.out, exist_ok=True)

    memory_bin = None
    if not args.skip_memory:
        memory_bin = os.path.join(args.out, "memory")
        try:
            run(["cc", "-O2", "-I", os.path.join(ROOT, "include"),
                 os.path.join(ROOT, "bench", "memory.c"), "-ldl", "-o", memory_bin],
                "compiling bench/memory.c")
        except Failure as e:
            sys.exit(str(e))

    stamps = tool_stamps(args.build)
    speed_rows, compile_rows, memory_rows = [], [], []
    commands, problems, notes = [], [], []
    for name in models:
        try:
            meta = make_models.make(name, args.out, args.force_models)
            batch = next(iter(meta["inputs"].values()))["shape"][0]
            lib = os.path.join(args.out, f"lib{name}.so")
            prefix = library_prefix(lib)
            input_args = [f"{k}={v['file']}" for k, v in meta["inputs"].items()]
            shape_desc = " x ".join(str(d) for d in next(iter(meta["inputs"].values()))["shape"])

            # 1. compile (with --calibration only when qcc needs it)
            calibrated = False
            seconds = rss = None
            if not (args.reuse_libs and os.path.exists(lib)):
                log(f"{name}: compiling")
                proc, seconds, rss, cmd = compile_model(qcc, meta, lib, False)
                if proc.returncode != 0:
                    err = (proc.stdout + proc.stderr).strip()
                    # Needing calibration is expected of some QDQ models (a
                    # cast to float without a Q/DQ pair): a note, not a
                    # problem. Any other failure is a problem.
                    (notes if "no calibrated range" in err else problems).append(
                        f"{name}: `{show(cmd)}` failed ({seconds:.1f} s):\n" +
                        indent(err))
                    log(f"{name}: qcc rejected the QDQ model alone; retrying with "
                        f"--calibration:\n{err}")
                    proc, seconds, rss, cmd = compile_model(qcc, meta, lib, True)
                    calibrated = True
                    if proc.returncode != 0:
                        raise Failure(f"`{show(cmd)}` failed too ({seconds:.1f} s):\n" +
                                      indent(proc.stdout + proc.stderr))
                commands.append(show(cmd))
                for line in (proc.stdout + proc.stderr).splitlines():
                    if line.startswith("calibrated"):
                        log(f"{name}: {line}")
                        notes.append(f"{name}: qcc: {line}")
                log(f"{name}: compiled in {seconds:.1f} s")

            # 2. activation estimate from the integer IR
            mlir = os.path.join(args.out, f"{name}-int.mlir")
            mlir_cmd = [qcc, meta["qdq"], "--emit=mlir", "-o", mlir]
            for k, v in meta["inputs"].items():
                mlir_cmd += ["--shape", f"{k}=" + "x".join(str(d) for d in v["shape"])]
            proc = subprocess.run(mlir_cmd, cwd=ROOT, capture_output=True, text=True)
            if proc.returncode != 0 or calibrated:
                run(mlir_cmd + ["--calibration", meta["calib"]], f"{name}: qcc --emit=mlir")
            largest, two_live, peak_live, num_acts = activation_estimate(mlir)
            os.unlink(mlir)
            info = library_info(lib, prefix)

            # 3. timing
            out_dirs = {t: os.path.join(args.out, f"{name}-out", t)
                        for t in ("qcc", "ort-fp32", "ort-int8")}
            for d in out_dirs.values():
                shutil.rmtree(d, ignore_errors=True)
            runs = max(2, int(RUNS[name] * args.runs_scale))
            for t in threads:
                cmds = {
                    "qcc": [qcc_run, lib, "--bench", str(runs), "--threads", str(t),
                            "--output-dir", out_dirs["qcc"]],
                    "ort-fp32": ["node", ort_run, meta["float"], "--bench", str(runs),
                                 "--threads", str(t), "--output-dir", out_dirs["ort-fp32"],
                                 "--quiet"],
                    "ort-int8": ["node", ort_run, meta["qdq"], "--bench", str(runs),
                                 "--threads", str(t), "--output-dir", out_dirs["ort-int8"],
                                 "--quiet"],
                }
                for c in cmds.values():
                    for i in input_args:
                        c += ["--input", i]
                if t == threads[0]:
                    commands += [show(cmd) for cmd in cmds.values()]
                ms = {k: [] for k in cmds}
                for r in range(args.repeat):
                    for tool, cmd in cmds.items():
                        ms[tool].append(measure(cmd, f"{name} {tool}"))
                    log(f"{name} threads {t} round {r + 1}: " +
                        ", ".join(f"{k} {v[-1][0]:.2f} ms (other {v[-1][1]:.2f})"
                                  for k, v in ms.items()))
                kept = {k: min(v) for k, v in ms.items()}
                best = {k: v[0] for k, v in kept.items()}
                other = max(v[1] for v in kept.values())
                speed_rows.append([name, shape_desc, str(t), f"{best['qcc']:.2f}",
                                   f"{best['ort-fp32']:.2f}", f"{best['ort-int8']:.2f}",
                                   f"{best['ort-fp32'] / best['qcc']:.2f}",
                                   f"{best['ort-int8'] / best['qcc']:.2f}", f"{other:.2f}"])

            # 4. agreement
            q_agree, q_diff = agreement(out_dirs["qcc"], out_dirs["ort-fp32"])
            i_agree, i_diff = agreement(out_dirs["ort-int8"], out_dirs["ort-fp32"])
            qi_agree, qi_diff = agreement(out_dirs["qcc"], out_dirs["ort-int8"])
            compile_rows.append([
                name, f"{meta['parameters'] / 1e6:.1f} M",
                "-" if seconds is None else f"{seconds:.1f}" + (" +calib" if calibrated else ""),
                "-" if rss is None else f"{rss:.0f}",
                f"{q_agree * 100:.0f}% ({batch})", f"{q_diff:.1e}",
                f"{i_agree * 100:.0f}%", f"{i_diff:.1e}", f"{qi_diff:.1e}"])

            # 5. memory
            if memory_bin:
                t = max(threads)
                out = run([memory_bin, lib, "--threads", str(t), "--runs", "2"] + input_args,
                          f"{name}: bench/memory")
                mem = json.loads(out.strip().splitlines()[-1])
                peak = mem["library_peak_kb"] * 1024
                bound = 1.2 * info["weights"] + two_live
                anon = (mem["rss_anon_kb"] - mem["baseline_anon_kb"]) * 1024
                filed = (mem["rss_file_kb"] - mem["baseline_file_kb"]) * 1024
                fixed = (mem["after_create_kb"] - mem["baseline_kb"]) * 1024
                memory_rows.append([
                    name, mib(info["weights"]), mib(info["constants"]), mib(largest),
                    mib(two_live), mib(peak_live),
                    "-" if info["arena"] is None else mib(info["arena"]),
                    mib(bound), mib(peak), f"{peak / bound:.2f}", mib(fixed), mib(anon),
                    mib(filed)])
                log(f"{name}: memory {mem}")
        except Failure as e:
            problems.append(f"{name}: {e}")
            log(f"{name}: {e}")

    if tool_stamps(args.build) != stamps:
        problems.append("the tools or the runtime archive were rebuilt during this run: "
                        "the libraries may mix versions; run again")
    archive = os.path.join(args.build, "lib", "libqcc_runtime.a")
    built = datetime.datetime.fromtimestamp(
        os.path.getmtime(archive if os.path.exists(archive) else qcc)).strftime("%Y-%m-%d %H:%M")
    print(f"# {datetime.date.today()}, {cpu_model()}, {os.cpu_count()} hardware threads; "
          f"source {git_state()}, runtime archive built {built}; median of N runs, "
          f"smallest of {args.repeat} measurements")
    print()
    table(("model", "input", "threads", "qcc ms", "ORT fp32 ms", "ORT int8 ms",
           "fp32/qcc", "int8/qcc", "other load"), speed_rows, args.markdown,
          ("<", "<", ">", ">", ">", ">", ">", ">", ">"))
    table(("model", "params", "compile s", "qcc RSS MiB", "qcc top-1 = fp32",
           "qcc max|diff|", "int8 top-1 = fp32", "int8 max|diff|", "qcc vs int8 max|diff|"),
          compile_rows, args.markdown, ("<", ">", ">", ">", ">", ">", ">", ">", ">"))
    if memory_rows:
        table(("model", "weights MiB", "of which weight symbols", "largest act", "2 largest live",
               "peak live", "arena", "bound MiB", "measured MiB", "measured/bound",
               "load+create", "anon", "file"), memory_rows, args.markdown,
              ("<",) + (">",) * 12)
    print("Commands (first thread count):")
    for c in commands:
        print(f"    {c}")
    if notes:
        print()
        print("Notes:")
        for n in notes:
            print(f"  - {n}")
    if problems:
        print()
        print("Problems:")
        for p in problems:
            print(f"  - {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
