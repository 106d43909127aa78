#!/usr/bin/python3
"""Writes deterministic sample inputs for the test models as .npy files.

    /usr/bin/python3 test/models/make_inputs.py [DIR] [--all] [--small-only]

DIR defaults to build/models-data (not committed). Files, for N in 1000 and 8
(the first N test images of Fashion-MNIST's t10k split) and, with --all, 10000:

    image_N.npy           float32 [N,1,28,28]  cnn/vit input "image" (common.preprocess_images)
    input_ids_N.npy       int64   [N,S]        bert input "input_ids" (common.tokenize)
    attention_mask_N.npy  int64   [N,S]        bert input "attention_mask" (1 = token, 0 = pad)
    labels_N.npy          int64   [N]          class labels 0..9

S is 49 for N = 1000/10000 (every row padded to the full length) and the
longest kept length for N = 8 (47), so bert runs at two sequence lengths.
Kept lengths are common.eval_lengths(). Also image_1/input_ids_1/
attention_mask_1/labels_1: test sample 0 alone, its sequence unpadded (28).
--small-only writes only the N = 8 and N = 1 files (the committed fixtures
in test/models/data were made that way).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    root = os.path.dirname(os.path.dirname(common.HERE))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=os.path.join(root, "build", "models-data"))
    ap.add_argument("--all", action="store_true", help="also write the whole 10k test split")
    ap.add_argument("--small-only", action="store_true", help="only the 8- and 1-sample files")
    args = ap.parse_args()

    u8, labels = common.load_fmnist("t10k")
    images = common.preprocess_images(u8)
    ids = common.tokenize(u8)
    lengths = common.eval_lengths(len(labels))
    os.makedirs(args.dir, exist_ok=True)

    sets = [(1, None), (8, None)]
    if not args.small_only:
        sets.append((1000, common.SEQ_LEN))
        if args.all:
            sets.append((10000, common.SEQ_LEN))
    manifest = {}
    for n, seq in sets:
        tok, mask = common.pad_tokens(ids[:n], lengths[:n], seq)
        arrays = {f"image_{n}": images[:n], f"input_ids_{n}": tok,
                  f"attention_mask_{n}": mask, f"labels_{n}": labels[:n]}
        for name, arr in arrays.items():
            path = os.path.join(args.dir, name + ".npy")
            np.save(path, np.ascontiguousarray(arr))
            manifest[name] = {"dtype": str(arr.dtype), "shape": list(arr.shape)}
    with open(os.path.join(args.dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(manifest)} arrays to {args.dir}")


if __name__ == "__main__":
    main()
