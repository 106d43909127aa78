#!/usr/bin/python3
"""Trains and exports the `vit` test model: a small Vision Transformer on Fashion-MNIST.

    /usr/bin/python3 test/models/vit.py            # writes test/models/vit-op{13,17}.onnx + vit.json

Architecture (input "image" [batch,1,28,28] normalised as in common.py, output
"logits" [batch,10]):
    patch embedding Conv7x7 stride 7 (1->64) -> 16 patches, + class token,
    + learned position embedding (17x64);
    2 pre-LayerNorm encoder blocks, each
        x = x + Proj(Attention(LayerNorm(x)))   4 heads of 16, written out:
            q,k,v = Linear(64->192) split; softmax(q @ k^T * 0.25) @ v
        x = x + Linear(128->64)(GELU(Linear(64->128)(LayerNorm(x))))
    final LayerNorm, class token -> Linear(64->10).
GELU is nn.GELU() (exact erf form); LayerNorm exports as
ReduceMean/Sub/Pow/Sqrt/Div at opset 13 and as LayerNormalization at opset 17.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 1302
DIM, HEADS, MLP, DEPTH, PATCH = 64, 4, 128, 2, 7


def build_model():
    import torch
    import torch.nn as nn

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = HEADS
            self.head_dim = DIM // HEADS
            self.scale = self.head_dim ** -0.5
            self.qkv = common.Linear(DIM, 3 * DIM)
            self.proj = common.Linear(DIM, DIM)

        def forward(self, x):
            b, n = x.shape[0], x.shape[1]
            qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]                    # [b, h, n, d]
            scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale
            probs = torch.softmax(scores, dim=-1)
            out = torch.matmul(probs, v).transpose(1, 2).reshape(b, n, DIM)
            return self.proj(out)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(DIM)
            self.attn = Attention()
            self.ln2 = nn.LayerNorm(DIM)
            self.mlp = nn.Sequential(common.Linear(DIM, MLP), nn.GELU(), common.Linear(MLP, DIM))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            n_patches = (28 // PATCH) ** 2
            self.patch = nn.Conv2d(1, DIM, PATCH, PATCH)
            self.cls = nn.Parameter(torch.zeros(1, 1, DIM))
            self.pos = nn.Parameter(torch.randn(1, n_patches + 1, DIM) * 0.02)
            self.blocks = nn.Sequential(*[Block() for _ in range(DEPTH)])
            self.ln = nn.LayerNorm(DIM)
            self.head = common.Linear(DIM, 10)

        def forward(self, image):
            x = self.patch(image).flatten(2).transpose(1, 2)    # [b, 16, DIM]
            cls = self.cls.expand(x.shape[0], -1, -1)
            x = torch.cat([cls, x], dim=1) + self.pos
            x = self.ln(self.blocks(x))
            return self.head(x[:, 0])

    return ViT()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=common.HERE)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()

    torch = common.setup_torch(SEED, threads=1)
    tr_u8, tr_y = common.load_fmnist("train")
    te_u8, te_y = common.load_fmnist("t10k")
    tr_x = torch.from_numpy(common.preprocess_images(tr_u8))
    te_x = torch.from_numpy(common.preprocess_images(te_u8))
    tr_yt = torch.from_numpy(tr_y)

    def make_batch(idx, rng):
        x = tr_x[idx]
        flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        return (x,), tr_yt[idx]

    model = build_model()
    n_params = common.count_params(model)
    print(f"vit: {n_params} parameters")
    train_s = common.train(model, make_batch, len(tr_y), args.epochs, batch_size=128,
                           lr=2e-3, seed=SEED, weight_decay=0.05)
    logits = common.predict(model, lambda idx: (te_x[idx],), len(te_y))
    acc = common.top1(logits, te_y)
    acc1000 = common.top1(logits[:1000], te_y[:1000])
    print(f"vit: test top-1 {acc:.2f} (first 1000: {acc1000:.2f}), trained in {train_s:.0f} s")

    metrics = {"model": "vit", "parameters": n_params, "epochs": args.epochs,
               "train_seconds": round(train_s, 1), "torch_top1_10k": round(acc, 2),
               "torch_top1_1000": round(acc1000, 2), "files": {}}
    dummy = te_x[:2]
    for opset in (13, 17):
        path = os.path.join(args.out_dir, f"vit-op{opset}.onnx")
        m = common.export_onnx(model, (dummy,), path, ["image"], ["logits"],
                               {"image": {0: "batch"}, "logits": {0: "batch"}}, opset)
        hist = common.op_histogram(m)
        want = "LayerNormalization" if opset >= 17 else "ReduceMean"
        if want not in hist or "Erf" not in hist:
            sys.exit(f"{path}: expected {want} and Erf nodes, got {hist}")
        metrics["files"][os.path.basename(path)] = {"bytes": os.path.getsize(path), "ops": hist}
        print(f"wrote {path}: {hist}")
    common.write_metrics("vit", metrics, args.out_dir)


if __name__ == "__main__":
    main()
