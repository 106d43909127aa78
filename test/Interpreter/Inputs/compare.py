#!/usr/bin/python3
"""Compares qcc-run's outputs with an oracle's expected outputs.

    compare.py EXPECTED_DIR OUTPUT_DIR [--rtol R] [--atol A]

Every EXPECTED_DIR/<name>.npy must have a matching OUTPUT_DIR/<name>.npy with
the same dtype and shape; floats must agree within atol + rtol * |expected|
(NaNs in the same places), integers and booleans exactly. Prints one line
per output and exits 1 if any differs.
"""

import argparse
import os
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("expected")
    parser.add_argument("output")
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-6)
    args = parser.parse_args()
    names = sorted(f[:-4] for f in os.listdir(args.expected)
                   if f.endswith(".npy"))
    if not names:
        print("compare: no expected outputs in " + args.expected)
        return 1
    failed = False
    for name in names:
        ref = np.load(os.path.join(args.expected, name + ".npy"))
        path = os.path.join(args.output, name + ".npy")
        if not os.path.exists(path):
            print(f"{name}: MISSING")
            failed = True
            continue
        got = np.load(path)
        if got.dtype != ref.dtype or got.shape != ref.shape:
            print(f"{name}: MISMATCH got {got.dtype}{list(got.shape)}, "
                  f"expected {ref.dtype}{list(ref.shape)}")
            failed = True
            continue
        if np.issubdtype(ref.dtype, np.floating):
            ok = np.allclose(got, ref, rtol=args.rtol, atol=args.atol,
                             equal_nan=True)
            err = float(np.max(np.abs(got.astype(np.float64) - ref),
                               initial=0.0))
            detail = f"max abs error {err:.3g}"
        else:
            ok = np.array_equal(got, ref)
            detail = f"{int(np.sum(got != ref))} of {ref.size} differ"
        print(f"{name}: {'ok' if ok else 'MISMATCH'} ({detail})")
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
