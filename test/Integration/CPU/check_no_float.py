#!/usr/bin/python3
"""Fails on floating-point code outside the boundary kernels of a library.

    check_no_float.py [--objdump PATH] [--expect-boundary] [--no-boundary]
                      LIB...
    check_no_float.py --build BUILD_BIN WORKDIR

Disassembles each x86-64 shared library or archive (`objdump -d -C -M intel
--no-show-raw-insn`, symbols demangled) and sorts every instruction that
does floating-point work by the function it lies in:

  * SSE/AVX/AVX-512 arithmetic with an ss/sd/ps/pd/sh/ph suffix: add, sub,
    mul, div, sqrt, min, max, cmp*, round, rcp*, rsqrt*, hadd, hsub, addsub,
    dp, getexp, getmant, scalef, reduce, rndscale, range, fixupimm, fpclass;
  * fused multiply-adds vf(n)madd*/vf(n)msub*;
  * every conversion (v)cvt* (int <-> float, float <-> float);
  * comparisons (v)(u)comis[sdh];
  * every x87 instruction (mnemonics starting with f: fld, fstp, fild,
    fistp, fadd, fmul, fucomip, fldcw, ... -- fxsave/fxrstor excepted);
  * calls to libm's floating-point functions through the PLT (floor, ldexp,
    nearbyintf, ...: the arithmetic then happens in libm).

Moves, shuffles, blends and bitwise logic on XMM/YMM/ZMM registers (movss,
movsd, movaps, movd, xorps, andps, pshufd, ...) are not arithmetic and are
allowed anywhere; integer SIMD (vpaddd, vpdpbusd, pminsd, ...) too.

Boundary functions are those whose demangled name contains qcc_rt_quantize
or qcc_rt_dequantize: the kernels themselves and the lambdas and templates
they instantiate (parallelFor<... qcc_rt_quantize::{lambda ...}>), and the
loops they call in Boundary.cpp's namespace qcc_rt::boundary. Prints,
per library, the FP instruction count inside them and outside them, lists
every offender (function, address, instruction) and exits 1 when any
library has FP code outside the boundary. With --expect-boundary a library
must also have FP instructions inside the boundary (proof that the check
sees FP code at all); --no-boundary treats every function as non-boundary
(a negative control: a library with float quantize/dequantize must fail).

--build compiles the test models into WORKDIR, as bitexact.py does (64
Fashion-MNIST training images for calibration; opset 17; batch 8):
libcnn.so, libvit.so and libbert.so, and copies the libm this Python runs
with to WORKDIR/libm.so (a library full of FP code, for a negative control).
docs/RuntimeABI.md ("Integer-only guarantee") describes the check.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

BOUNDARY = ("qcc_rt_quantize", "qcc_rt_dequantize", "qcc_rt::boundary::")

FP_SUFFIX = r"(?:ss|sd|ps|pd|sh|ph)"
FP_PATTERNS = [
    # Packed and scalar arithmetic.
    re.compile(r"^v?(?:add|sub|mul|div|sqrt|min|max|round|rcp\d*|rsqrt\d*|"
               r"hadd|hsub|addsub|dp|getexp|getmant|scalef|reduce|rndscale|"
               r"range|fixupimm|fpclass|exp2)" + FP_SUFFIX + r"$"),
    # Comparisons with a predicate: cmpps, vcmpltsd, vcmpneq_oqps, ...
    re.compile(r"^v?cmp\w*" + FP_SUFFIX + r"$"),
    # Fused multiply-add/subtract.
    re.compile(r"^vf(?:n)?m(?:add|sub)\w*$"),
    # Conversions.
    re.compile(r"^v?cvt\w+$"),
    # Flag-setting comparisons.
    re.compile(r"^v?u?comis[sdh]$"),
    # x87.
    re.compile(r"^f(?!xsave|xrstor)\w+$"),
]

# libm's floating-point functions (with f/l variants and __*_finite forms).
LIBM_FP = re.compile(
    r"^(?:__)?(?:a?sinh?|a?cosh?|a?tanh?|atan2|exp(?:2|10|m1)?|log(?:2|10|1p|b)?|"
    r"pow|sqrt|cbrt|floor|ceil|trunc|l?l?round|nearbyint|l?l?rint|frexp|"
    r"ldexp|scalbl?n|fmod|remainder|remquo|modf|hypot|erfc?|tgamma|lgamma|"
    r"fma|fmin|fmax|fdim|fabs|copysign|nextafter|ilogb|significand)"
    r"[fl]?(?:_finite)?$")

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "models")

FUNC_RE = re.compile(r"^[0-9a-f]+ <(.*)>:$")
INSN_RE = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
PLT_CALL_RE = re.compile(r"<([^@>+]+)@plt>")
# Relocations (-r) in object files: a call to libm is R_X86_64_PLT32 floor-0x4.
RELOC_RE = re.compile(r"^\s*[0-9a-f]+:\s+R_X86_64_\w+\s+([^\s+-]+)")
# At most this many offending functions, and instructions per function, are
# listed (libm has tens of thousands).
MAX_LISTED = 40
PREFIXES = {"lock", "rep", "repe", "repz", "repne", "repnz", "bnd", "notrack",
            "data16", "addr32", "cs", "ds", "es", "ss", "fs", "gs", "{vex}",
            "{vex3}", "{evex}"}


def find_objdump(explicit):
    if explicit:
        return explicit
    for name in ("objdump", "llvm-objdump", "/usr/lib/llvm-22/bin/llvm-objdump"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_no_float: no objdump found")


def is_fp(mnemonic, operands):
    # cmpsd/cmpsw/... without XMM operands is the string compare.
    if mnemonic == "cmpsd" and "xmm" not in operands:
        return False
    return any(p.match(mnemonic) for p in FP_PATTERNS)


def disassemble(objdump, lib):
    """Yields (function, address, mnemonic, operands, text); a relocation
    against a symbol comes as mnemonic "reloc" with the symbol as operands."""
    cmd = [objdump, "-d", "-r", "-C", "-M", "intel", "--no-show-raw-insn",
           lib]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"check_no_float: {' '.join(cmd)} failed:\n{proc.stderr}")
    if "file format elf64-x86-64" not in proc.stdout:
        sys.exit(f"check_no_float: {lib} is not x86-64 ELF code")
    func = "?"
    for line in proc.stdout.splitlines():
        m = FUNC_RE.match(line)
        if m:
            func = m.group(1)
            continue
        m = RELOC_RE.match(line)
        if m:
            yield func, "", "reloc", m.group(1), line.strip()
            continue
        m = INSN_RE.match(line)
        if not m:
            continue
        text = m.group(2).split("#")[0].strip()
        words = text.split()
        while words and words[0] in PREFIXES:
            words.pop(0)
        if not words:
            continue
        mnemonic = words[0].lower()
        operands = " ".join(words[1:])
        yield func, m.group(1), mnemonic, operands, text


def short(name, limit=160):
    """Demangled template instantiations can be kilobytes long."""
    if len(name) <= limit:
        return name
    return name[:limit - 50] + " ... " + name[-45:]


def check(objdump, lib, expect_boundary, no_boundary):
    inside = 0
    offenders = []
    for func, addr, mnemonic, operands, text in disassemble(objdump, lib):
        fp = is_fp(mnemonic, operands)
        if mnemonic in ("call", "jmp"):
            m = PLT_CALL_RE.search(operands)
            fp = bool(m and LIBM_FP.match(m.group(1)))
        elif mnemonic == "reloc":
            fp = bool(LIBM_FP.match(operands))
        if not fp:
            continue
        boundary = not no_boundary and any(b in func for b in BOUNDARY)
        if boundary:
            inside += 1
        else:
            offenders.append((func, addr, text))
    name = os.path.basename(lib)
    print(f"{name}: {inside} FP instructions in boundary functions, "
          f"{len(offenders)} outside")
    ok = not offenders
    if offenders:
        funcs = sorted({f for f, _, _ in offenders})
        print(f"{name}: FAIL: FP code in {len(funcs)} non-boundary "
              f"function(s):")
        for f in funcs[:MAX_LISTED]:
            print(f"  {short(f)}")
            insns = [(a, t) for g, a, t in offenders if g == f]
            for addr, text in insns[:MAX_LISTED]:
                print(f"    {addr}: {text}" if addr else f"    {text}")
            if len(insns) > MAX_LISTED:
                print(f"    ... and {len(insns) - MAX_LISTED} more")
        if len(funcs) > MAX_LISTED:
            print(f"  ... and {len(funcs) - MAX_LISTED} more functions")
    if expect_boundary and inside == 0:
        print(f"{name}: FAIL: no FP instructions found in the boundary "
              f"functions (expected some: does the check see FP code?)")
        ok = False
    return ok


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        sys.exit(" ".join(cmd) + "\n" + proc.stdout)


def find_libm():
    """The libm mapped into this process (Python links it)."""
    import ctypes
    ctypes.CDLL("libm.so.6")
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if re.search(r"/libm[.-][^/]*so", path):
                return path
    sys.exit("check_no_float: libm not found in /proc/self/maps")


def build(bin_dir, work):
    import numpy as np
    sys.path.insert(0, MODELS)
    import common
    os.makedirs(work, exist_ok=True)
    qcc = os.path.join(bin_dir, "qcc")
    u8, _ = common.load_fmnist("train")
    idx = np.random.default_rng(5).permutation(len(u8))[:64]
    images = os.path.join(work, "calib_image.npz")
    np.savez(images, image=common.preprocess_images(u8[idx]))
    data = os.path.join(MODELS, "data")
    ids = np.load(os.path.join(data, "input_ids_8.npy"))
    batch, seq = ids.shape
    lengths = np.random.default_rng(6).integers(1, seq + 1, size=64)
    tok, mask = common.pad_tokens(common.tokenize(u8[idx]), lengths, seq)
    tokens = os.path.join(work, "calib_bert.npz")
    np.savez(tokens, input_ids=tok, attention_mask=mask)
    image_shape = "x".join(map(str, np.load(os.path.join(data, "image_8.npy")).shape))
    cases = [("cnn", images, [f"image={image_shape}"]),
             ("vit", images, [f"image={image_shape}"]),
             ("bert", tokens, [f"input_ids={batch}x{seq}",
                               f"attention_mask={batch}x{seq}"])]
    for model, calib, shapes in cases:
        lib = os.path.join(work, f"lib{model}.so")
        run([qcc, os.path.join(MODELS, f"{model}-op17.onnx"), "--calibration",
             calib, "-o", lib] + sum((["--shape", s] for s in shapes), []))
        print(f"built {lib}")
    shutil.copyfile(find_libm(), os.path.join(work, "libm.so"))
    print(f"copied {find_libm()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("libs", nargs="+")
    parser.add_argument("--objdump")
    parser.add_argument("--expect-boundary", action="store_true")
    parser.add_argument("--no-boundary", action="store_true")
    parser.add_argument("--build", action="store_true")
    args = parser.parse_args()
    if args.build:
        if len(args.libs) != 2:
            parser.error("--build takes BUILD_BIN WORKDIR")
        build(*args.libs)
        return
    objdump = find_objdump(args.objdump)
    ok = True
    for lib in args.libs:
        ok &= check(objdump, lib, args.expect_boundary, args.no_boundary)
    print("no-float: " + ("PASS" if ok else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
