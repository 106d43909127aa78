#!/usr/bin/python3
"""Generates ONNX 1.12's backend node test cases for the onnx-backend suite.

    /usr/bin/python3 test/onnx-backend/generate.py [OUT_DIR]

OUT_DIR (default build/onnx-backend) receives
node/<test>/{model.onnx,test_data_set_0/{input_*,output_*}.pb} from Debian's
python3-onnx (ONNX 1.12), by running its own generator
(`onnx.backend.test.cmd_tools generate-data`) in-process. The generator still
uses the NumPy aliases np.float/np.int/np.bool/np.object removed in NumPy
1.24, so they are restored first, and NumPy's global generator is seeded so
that the random inputs are the same on every machine.

Idempotent: a stamp file records the ONNX and NumPy versions and this
script's hash; when it matches, nothing is regenerated (well under a second).
"""

import hashlib
import os
import runpy
import shutil
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STAMP = ".generated"


def stamp_text():
    import numpy
    import onnx

    with open(os.path.abspath(__file__), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return f"onnx {onnx.__version__} numpy {numpy.__version__} generate.py {digest}\n"


def generate(out_dir):
    import numpy as np

    # Aliases removed in NumPy 1.24 that ONNX 1.12's test generators use.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, value in (("float", float), ("int", int), ("bool", bool),
                            ("object", object), ("complex", complex),
                            ("str", str)):
            if name not in np.__dict__:
                setattr(np, name, value)
    np.random.seed(0)
    argv = sys.argv
    sys.argv = ["onnx.backend.test.cmd_tools", "generate-data", "-o", out_dir]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runpy.run_module("onnx.backend.test.cmd_tools", run_name="__main__",
                             alter_sys=True)
    finally:
        sys.argv = argv


def ensure(out):
    """Generates the suite into `out` unless its stamp is current."""
    out = os.path.abspath(out)
    stamp = stamp_text()
    stamp_path = os.path.join(out, STAMP)
    if os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if f.read() == stamp:
                return
    # Generate next to the destination, then swap it in, so an interrupted
    # run never leaves a half-written suite behind a valid stamp.
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    generate(tmp)
    count = len(os.listdir(os.path.join(tmp, "node")))
    with open(os.path.join(tmp, STAMP), "w") as f:
        f.write(stamp)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"onnx-backend: generated {count} node tests into {out}")


def main():
    ensure(sys.argv[1] if len(sys.argv) > 1
           else os.path.join(ROOT, "build", "onnx-backend"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
