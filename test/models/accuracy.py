#!/usr/bin/python3
"""Top-1 accuracy of a logits array against labels.

    /usr/bin/python3 test/models/accuracy.py LOGITS.npy LABELS.npy [--compare OTHER_LOGITS.npy]

Prints "top-1 XX.XX% (k/N)". With --compare, also prints the largest absolute
difference between the two logits arrays and how many argmaxes agree.
Exit status 1 on shape mismatches.
"""
import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("logits")
    ap.add_argument("labels")
    ap.add_argument("--compare", metavar="OTHER_LOGITS")
    args = ap.parse_args()

    logits = np.load(args.logits)
    labels = np.load(args.labels).reshape(-1)
    if logits.ndim != 2 or logits.shape[0] != labels.shape[0]:
        sys.exit(f"accuracy.py: logits {logits.shape} do not match labels {labels.shape}")
    pred = logits.argmax(axis=1)
    k = int((pred == labels).sum())
    n = labels.shape[0]
    print(f"top-1 {100.0 * k / n:.2f}% ({k}/{n})")
    if args.compare:
        other = np.load(args.compare)
        if other.shape != logits.shape:
            sys.exit(f"accuracy.py: {args.compare} has shape {other.shape}, expected {logits.shape}")
        diff = np.abs(other.astype(np.float64) - logits.astype(np.float64))
        agree = int((other.argmax(axis=1) == pred).sum())
        print(f"max |diff| {diff.max():.3g}, mean |diff| {diff.mean():.3g}, argmax agree {agree}/{n}")


if __name__ == "__main__":
    main()
