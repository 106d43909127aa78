"""Shared code for the qcc test models (cnn.py, vit.py, bert.py, make_inputs.py).

Everything that decides what a model sees lives here, so that the training
scripts, make_inputs.py and any other tool preprocess Fashion-MNIST the same
way:

* images: uint8 [N, 28, 28] -> float32 [N, 1, 28, 28], (x / 255 - MEAN) / STD;
* tokens (bert): each image is cut into 7x7 = 49 patches of 4x4 pixels, read
  row-major; a patch becomes one id in 1..255 (0 is the pad id), see tokenize();
* lengths (bert): a test sample i keeps the first eval_lengths()[i] tokens
  (16..49), the rest is right padding (id 0, mask 0).

Run with Debian's /usr/bin/python3 (torch 1.13, onnx 1.12, numpy).
"""
import gzip
import json
import os
import random
import struct
import time

import numpy as np

FMNIST_DIR = os.environ.get("QCC_FMNIST_DIR", "/usr/share/datasets/fashion-mnist")
MEAN = 0.2860
STD = 0.3530

SEQ_LEN = 49          # bert: 7x7 patches of 4x4 pixels
VOCAB = 256           # bert: ids 0..255, 0 = pad
MIN_LEN = 16          # bert: shortest kept prefix
EVAL_LENGTH_SEED = 20260  # bert: lengths of the test samples

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- data

def cpu_model():
    """This machine's CPU as /proc/cpuinfo names it (for generated docs)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_fmnist(split):
    """split: 'train' or 't10k'. Returns (uint8 images [N,28,28], int64 labels [N])."""
    imgs = _read_idx(os.path.join(FMNIST_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(FMNIST_DIR, f"{split}-labels-idx1-ubyte.gz"))
    return imgs, labels.astype(np.int64)


def preprocess_images(u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28], normalised."""
    x = u8.astype(np.float32) / np.float32(255.0)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return x[:, None, :, :].astype(np.float32)


def tokenize(u8):
    """uint8 [N,28,28] -> int64 ids [N,49] in 1..255.

    Each 4x4 patch is split into four 2x2 quadrants; a quadrant's mean
    intensity in [0,1] is quantised to 4 levels (thresholds 0.25/0.5/0.75);
    the four 2-bit levels form a code 0..255 (top-left quadrant lowest), and
    id = 1 + min(code, 254): the all-brightest code 255 shares id 255 with
    code 254, so that id 0 stays free for padding and the vocabulary is 256.
    """
    n = u8.shape[0]
    x = u8.astype(np.float32) / 255.0
    q = x.reshape(n, 14, 2, 14, 2).mean(axis=(2, 4))            # [N,14,14] 2x2 means
    lv = np.minimum((q * 4.0).astype(np.int64), 3)               # 0..3
    lv = lv.reshape(n, 7, 2, 7, 2).transpose(0, 1, 3, 2, 4)      # [N,7,7,2(qy),2(qx)]
    lv = lv.reshape(n, 49, 4)
    code = lv[..., 0] + 4 * lv[..., 1] + 16 * lv[..., 2] + 64 * lv[..., 3]
    return (1 + np.minimum(code, 254)).astype(np.int64)


def eval_lengths(n):
    """Deterministic kept lengths (MIN_LEN..SEQ_LEN) of test samples 0..n-1."""
    rng = np.random.default_rng(EVAL_LENGTH_SEED)
    return rng.integers(MIN_LEN, SEQ_LEN + 1, size=10000)[:n].astype(np.int64)


def pad_tokens(ids, lengths, seq=None):
    """Keep the first lengths[i] ids of row i, right-pad with 0 to `seq`
    (default: max(lengths)). Returns (input_ids, attention_mask), int64."""
    seq = int(lengths.max()) if seq is None else seq
    n = ids.shape[0]
    pos = np.arange(seq)[None, :]
    mask = (pos < lengths[:, None]).astype(np.int64)
    out = np.zeros((n, seq), dtype=np.int64)
    w = min(seq, ids.shape[1])
    out[:, :w] = ids[:, :w]
    out *= mask
    return out, mask


# ---------------------------------------------------------------- torch helpers

def setup_torch(seed, threads):
    """Seeds everything and fixes the thread count (results depend on it).
    vit/bert use 1 thread: their time goes to small GEMMs in the reference
    BLAS, single-threaded anyway, and 2 OpenMP threads slow down ~10x when
    another process competes for the 2 cores."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    return torch


_LINEAR = None


def Linear(in_features, out_features, bias=True):
    """nn.Linear that trains fast on Debian's torch.

    Debian's torch 1.13 is built against the reference BLAS (BLAS_INFO=generic,
    about 2 GFLOP/s here), so matrix products are ~15x slower than oneDNN's
    convolutions. Outside ONNX export this layer computes x @ W^T + b as a 1x1
    convolution (oneDNN); under torch.onnx.export it is a plain F.linear, so the
    exported graph has the usual MatMul/Gemm + Add. Same parameters, same maths;
    results differ only by float rounding.
    """
    global _LINEAR
    if _LINEAR is None:
        import torch
        import torch.nn.functional as F

        class _Linear(torch.nn.Linear):
            def forward(self, x):
                if torch.onnx.is_in_onnx_export():
                    return F.linear(x, self.weight, self.bias)
                lead = x.shape[:-1]
                y = F.conv2d(x.reshape(-1, self.in_features, 1, 1),
                             self.weight[:, :, None, None], self.bias)
                return y.reshape(*lead, self.out_features)

        _LINEAR = _Linear
    return _LINEAR(in_features, out_features, bias)


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def train(model, make_batch, n_train, epochs, batch_size, lr, seed, weight_decay=0.0,
          log_every=100, epoch_batches=None):
    """AdamW + one-cycle schedule. make_batch(index_array, rng) -> (inputs tuple, labels).
    epoch_batches(rng) -> list of index arrays (default: a random permutation
    cut into batches)."""
    import torch
    gen = np.random.default_rng(seed)
    steps_per_epoch = (n_train + batch_size - 1) // batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.2)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        if epoch_batches is None:
            perm = gen.permutation(n_train)
            batches = [perm[s * batch_size:(s + 1) * batch_size] for s in range(steps_per_epoch)]
        else:
            batches = epoch_batches(gen)
            assert len(batches) == steps_per_epoch
        tot, correct, seen = 0.0, 0, 0
        for s, idx in enumerate(batches):
            inputs, labels = make_batch(idx, gen)
            logits = model(*inputs)
            loss = loss_fn(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            correct += (logits.argmax(1) == labels).sum().item()
            seen += len(idx)
            if log_every and (s + 1) % log_every == 0:
                print(f"  epoch {ep + 1} step {s + 1}/{steps_per_epoch} "
                      f"loss {tot / seen:.4f} acc {100.0 * correct / seen:.2f} "
                      f"({time.time() - t0:.0f} s)", flush=True)
        print(f"epoch {ep + 1}/{epochs}: train loss {tot / seen:.4f} "
              f"train acc {100.0 * correct / seen:.2f} ({time.time() - t0:.0f} s)", flush=True)
    return time.time() - t0


def predict(model, make_eval_batch, n, batch_size=500):
    """Returns float32 logits [n,10] computed in eval mode."""
    import torch
    model.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, n, batch_size):
            idx = np.arange(s, min(n, s + batch_size))
            outs.append(model(*make_eval_batch(idx)).numpy())
    return np.concatenate(outs).astype(np.float32)


def top1(logits, labels):
    return 100.0 * float((np.asarray(logits).argmax(1) == np.asarray(labels)).mean())


def export_onnx(model, args, path, input_names, output_names, dynamic_axes, opset,
                keep_batchnorm=False):
    """torch.onnx.export in inference mode. keep_batchnorm: export with
    TrainingMode.PRESERVE on the eval-mode model, which skips the exporter's
    eval peephole (it folds Conv+BatchNormalization), so BatchNormalization
    nodes stay in the graph."""
    import onnx
    import torch
    model.eval()
    mode = torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, args, path, opset_version=opset,
                      input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, training=mode,
                      do_constant_folding=not keep_batchnorm)
    m = onnx.load(path)
    m.producer_name = "qcc test/models"
    m.doc_string = f"{os.path.basename(path)}: trained on Fashion-MNIST, see test/models/README.md"
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    return m


def op_histogram(model):
    hist = {}
    for n in model.graph.node:
        hist[n.op_type] = hist.get(n.op_type, 0) + 1
    return dict(sorted(hist.items()))


def write_metrics(name, metrics, out_dir=HERE):
    path = os.path.join(out_dir, f"{name}.json")
    with open(path, "w") as f:
        json.dump(metrics, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}")
