#!/usr/bin/python3
"""Trains and exports the `cnn` test model: a small ResNet on Fashion-MNIST.

    /usr/bin/python3 test/models/cnn.py            # writes test/models/cnn-op{13,17}.onnx + cnn.json

Architecture (input "image" [batch,1,28,28] normalised as in common.py, output
"logits" [batch,10]):
    stem   Conv3x3(1->16) BN ReLU, MaxPool 2x2           -> 16x14x14
    block1 BasicBlock(16->16)                             -> 16x14x14
    block2 BasicBlock(16->32, stride 2, 1x1 conv+BN skip) -> 32x7x7
    block3 BasicBlock(32->64, stride 2, 1x1 conv+BN skip) -> 64x4x4
    GlobalAveragePool, Flatten, Linear(64->10)
BasicBlock: Conv3x3 BN ReLU Conv3x3 BN, + skip, ReLU. BatchNormalization is
kept in the exported graph (not folded into Conv by the exporter).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 1301


def build_model():
    import torch.nn as nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.skip = None
            if stride != 1 or cin != cout:
                self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            s = x if self.skip is None else self.skip(x)
            return self.relu(y + s)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16),
                                      nn.ReLU(), nn.MaxPool2d(2))
            self.block1 = BasicBlock(16, 16, 1)
            self.block2 = BasicBlock(16, 32, 2)
            self.block3 = BasicBlock(32, 64, 2)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(64, 10)

        def forward(self, image):
            x = self.stem(image)
            x = self.block3(self.block2(self.block1(x)))
            x = self.pool(x).flatten(1)
            return self.fc(x)

    return ResNet()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=common.HERE)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()

    torch = common.setup_torch(SEED, threads=2)
    tr_u8, tr_y = common.load_fmnist("train")
    te_u8, te_y = common.load_fmnist("t10k")
    tr_x = torch.from_numpy(common.preprocess_images(tr_u8))
    te_x = torch.from_numpy(common.preprocess_images(te_u8))
    tr_yt = torch.from_numpy(tr_y)

    def make_batch(idx, rng):
        x = tr_x[idx]
        # light augmentation: random horizontal flip
        flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        return (x,), tr_yt[idx]

    model = build_model()
    n_params = common.count_params(model)
    print(f"cnn: {n_params} parameters")
    train_s = common.train(model, make_batch, len(tr_y), args.epochs, batch_size=128,
                           lr=4e-3, seed=SEED, weight_decay=1e-4)
    logits = common.predict(model, lambda idx: (te_x[idx],), len(te_y))
    acc = common.top1(logits, te_y)
    acc1000 = common.top1(logits[:1000], te_y[:1000])
    print(f"cnn: test top-1 {acc:.2f} (first 1000: {acc1000:.2f}), trained in {train_s:.0f} s")

    metrics = {"model": "cnn", "parameters": n_params, "epochs": args.epochs,
               "train_seconds": round(train_s, 1), "torch_top1_10k": round(acc, 2),
               "torch_top1_1000": round(acc1000, 2), "files": {}}
    dummy = te_x[:2]
    for opset in (13, 17):
        path = os.path.join(args.out_dir, f"cnn-op{opset}.onnx")
        m = common.export_onnx(model, (dummy,), path, ["image"], ["logits"],
                               {"image": {0: "batch"}, "logits": {0: "batch"}}, opset,
                               keep_batchnorm=True)
        hist = common.op_histogram(m)
        if "BatchNormalization" not in hist:
            sys.exit(f"{path}: BatchNormalization was folded away")
        metrics["files"][os.path.basename(path)] = {"bytes": os.path.getsize(path), "ops": hist}
        print(f"wrote {path}: {hist}")
    common.write_metrics("cnn", metrics, args.out_dir)


if __name__ == "__main__":
    main()
