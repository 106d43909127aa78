#!/usr/bin/python3
"""Trains and exports the `bert` test model: a BERT-style encoder over
variable-length token sequences made from Fashion-MNIST images.

    /usr/bin/python3 test/models/bert.py           # writes test/models/bert-op{13,17}.onnx + bert.json

Inputs "input_ids" int64 [batch, seq] and "attention_mask" int64 [batch, seq]
(both dimensions symbolic; 1 = token, 0 = padding), output "logits" [batch,10].
Tokens: common.tokenize() (49 ids per image, one per 4x4 patch, row-major, ids
1..255, 0 = pad); each sequence keeps a prefix of 16..49 tokens (random during
training, common.eval_lengths() for the test split) and is right-padded.

Architecture (HF-BERT style, post-LayerNorm):
    word embedding Gather (256x64, padding_idx 0) + learned position embedding
    (position_ids[:, :seq], 49x64), LayerNorm;
    extended mask = (1 - attention_mask[:, None, None, :]) * -10000.0, added to scores;
    2 layers, each
        h = LayerNorm(h + Out(softmax(q @ k^T / 4 + mask) @ v))   4 heads of 16
        h = LayerNorm(h + Linear(128->64)(GELU(Linear(64->128)(h))))
    mean over valid tokens (sum(h * mask) / max(sum(mask), 1e-9)), Linear(64->10).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 1303
DIM, HEADS, FFN, LAYERS = 64, 4, 128, 2


def build_model():
    import torch
    import torch.nn as nn

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = HEADS
            self.head_dim = DIM // HEADS
            self.query = common.Linear(DIM, DIM)
            self.key = common.Linear(DIM, DIM)
            self.value = common.Linear(DIM, DIM)
            self.out = common.Linear(DIM, DIM)

        def split(self, x):
            b, n = x.shape[0], x.shape[1]
            return x.reshape(b, n, self.heads, self.head_dim).permute(0, 2, 1, 3)

        def forward(self, h, ext_mask):
            q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
            scores = torch.matmul(q, k.transpose(-1, -2)) / (self.head_dim ** 0.5)
            scores = scores + ext_mask
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, v).permute(0, 2, 1, 3)
            ctx = ctx.reshape(ctx.shape[0], ctx.shape[1], DIM)
            return self.out(ctx)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = SelfAttention()
            self.ln1 = nn.LayerNorm(DIM, eps=1e-12)
            self.ffn = nn.Sequential(common.Linear(DIM, FFN), nn.GELU(), common.Linear(FFN, DIM))
            self.ln2 = nn.LayerNorm(DIM, eps=1e-12)

        def forward(self, h, ext_mask):
            h = self.ln1(h + self.attn(h, ext_mask))
            return self.ln2(h + self.ffn(h))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word = nn.Embedding(common.VOCAB, DIM, padding_idx=0)
            self.position = nn.Embedding(common.SEQ_LEN, DIM)
            self.register_buffer("position_ids", torch.arange(common.SEQ_LEN)[None, :])
            self.emb_ln = nn.LayerNorm(DIM, eps=1e-12)
            self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
            self.classifier = common.Linear(DIM, 10)

        def forward(self, input_ids, attention_mask):
            seq = input_ids.shape[1]
            pos_ids = self.position_ids[:, :seq]
            h = self.emb_ln(self.word(input_ids) + self.position(pos_ids))
            mask = attention_mask.to(h.dtype)
            ext_mask = (1.0 - mask[:, None, None, :]) * -10000.0
            for layer in self.layers:
                h = layer(h, ext_mask)
            m = mask.unsqueeze(-1)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.classifier(pooled)

    return Bert()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=common.HERE)
    ap.add_argument("--epochs", type=int, default=4)
    args = ap.parse_args()

    torch = common.setup_torch(SEED, threads=1)
    tr_u8, tr_y = common.load_fmnist("train")
    te_u8, te_y = common.load_fmnist("t10k")
    tr_ids = common.tokenize(tr_u8)
    te_ids = common.tokenize(te_u8)
    te_len = common.eval_lengths(len(te_y))
    tr_yt = torch.from_numpy(tr_y)

    tr_len = np.zeros(len(tr_y), dtype=np.int64)
    batch_size = 128

    def epoch_batches(rng):
        # New random kept lengths every epoch; batches are drawn from groups of
        # 16 batches sorted by length, so that little padding is computed.
        tr_len[:] = rng.integers(common.MIN_LEN, common.SEQ_LEN + 1, size=len(tr_y))
        perm = rng.permutation(len(tr_y))
        group = 16 * batch_size
        batches = []
        for g in range(0, len(perm), group):
            chunk = perm[g:g + group]
            chunk = chunk[np.argsort(tr_len[chunk], kind="stable")]
            batches += [chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def make_batch(idx, rng):
        ids, mask = common.pad_tokens(tr_ids[idx], tr_len[idx])  # padded to the batch's longest
        return (torch.from_numpy(ids), torch.from_numpy(mask)), tr_yt[idx]

    def make_eval_batch(idx):
        ids, mask = common.pad_tokens(te_ids[idx], te_len[idx])
        return torch.from_numpy(ids), torch.from_numpy(mask)

    model = build_model()
    n_params = common.count_params(model)
    print(f"bert: {n_params} parameters")
    train_s = common.train(model, make_batch, len(tr_y), args.epochs, batch_size=batch_size,
                           lr=2e-3, seed=SEED, weight_decay=0.01, epoch_batches=epoch_batches)
    logits = common.predict(model, make_eval_batch, len(te_y))
    acc = common.top1(logits, te_y)
    acc1000 = common.top1(logits[:1000], te_y[:1000])
    print(f"bert: test top-1 {acc:.2f} (first 1000: {acc1000:.2f}), trained in {train_s:.0f} s")

    # Padding must not matter: the first 8 test samples padded to their
    # longest vs. to 49 give the same logits.
    model.eval()
    with torch.no_grad():
        a = model(*make_eval_batch(np.arange(8)))
        ids, mask = common.pad_tokens(te_ids[:8], te_len[:8], common.SEQ_LEN)
        b = model(torch.from_numpy(ids), torch.from_numpy(mask))
    pad_diff = float((a - b).abs().max())
    print(f"bert: max |logits(seq=max len) - logits(seq=49)| = {pad_diff:.3g}")

    metrics = {"model": "bert", "parameters": n_params, "epochs": args.epochs,
               "train_seconds": round(train_s, 1), "torch_top1_10k": round(acc, 2),
               "torch_top1_1000": round(acc1000, 2), "padding_invariance_max_abs": pad_diff,
               "files": {}}
    dummy = make_eval_batch(np.arange(2))
    for opset in (13, 17):
        path = os.path.join(args.out_dir, f"bert-op{opset}.onnx")
        m = common.export_onnx(model, dummy, path, ["input_ids", "attention_mask"], ["logits"],
                               {"input_ids": {0: "batch", 1: "seq"},
                                "attention_mask": {0: "batch", 1: "seq"},
                                "logits": {0: "batch"}}, opset)
        hist = common.op_histogram(m)
        metrics["files"][os.path.basename(path)] = {"bytes": os.path.getsize(path), "ops": hist}
        print(f"wrote {path}: {hist}")
    common.write_metrics("bert", metrics, args.out_dir)


if __name__ == "__main__":
    main()
