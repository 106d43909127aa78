#!/usr/bin/python3
"""Writes the whole-model benchmark models, their inputs and QDQ versions.

    /usr/bin/python3 bench/models/make_models.py [--out DIR] [--models bert,resnet18,vit]
                                                 [--force]

Run with Debian's /usr/bin/python3 (torch 1.13, onnx 1.12, numpy); bench/models.py
calls it. Everything goes to DIR (default build/bench-models, not committed:
BERT-base is 430 MB of float weights). For each model NAME:

    DIR/NAME.onnx          float model, opset 17, fixed input shapes
    DIR/NAME-calib.npz     calibration inputs (samples along dimension 0)
    DIR/NAME-qdq.onnx      its QDQ version (test/models/make_qdq.py)
    DIR/NAME-in/*.npy      the benchmark inputs, one file per graph input
    DIR/NAME.json          input shapes and how the model was made (read by models.py)

A model whose files all exist is not rewritten unless --force is given.
Weights are random (fixed seeds); they matter for speed only through their
shapes, and for the output comparison only through being "reasonable":

* bert (BERT-base encoder): test/models/bert.py's architecture (post-LN,
  HF-BERT style, masked mean pooling, a 10-class head) at hidden 768,
  12 heads of 64, FFN 3072, 12 layers, with BERT-base's vocabulary of
  30522 word ids and 128 positions; PyTorch's default initialisation,
  seed 1303. 108.6 M parameters (BERT-base: 110 M with 512 positions,
  token types and a pooler, which this model does not have). Input 8 x 128:
  random ids in 1..30521 and realistic lengths -- each sample keeps a
  prefix of 64..128 tokens (the first one all 128), the rest is padding
  (id 0, mask 0), as bench/interp-vs-ort.py's bert-base-2l. Neither qcc
  nor ONNX Runtime removes padding, so the lengths change no run time.
  Calibration: 16 samples drawn the same way (another seed).
* resnet18: the torchvision ResNet-18 architecture written out by hand
  (torchvision is not installed): conv 7x7/2 + BN + ReLU, max pool 3x3/2,
  four stages of two BasicBlocks (64, 128, 256, 512 channels; 1x1/2
  conv + BN downsampling shortcuts), global average pool, FC 1000;
  torchvision's initialisation (Kaiming-normal fan-out convs, BN gamma 1
  beta 0), seed 1818. The BN running statistics are then estimated from
  32 calibration-like images (train mode, cumulative average), so the
  activations are normalised as in a trained network instead of
  growing layer by layer. Exported in eval mode at opset 17 with a fixed
  batch of 1 (the exporter folds BN into the convolutions). Images:
  Fashion-MNIST pictures upscaled bilinearly to 224 x 224, three channels
  with different gains, normalised to mean 0, std 1 -- smooth natural-ish
  pictures rather than white noise. Benchmark input: test image 0;
  calibration: 16 training images.
* vit: the committed test/models/vit-op17.onnx (trained on Fashion-MNIST),
  copied with its batch fixed to 64. Benchmark input: the first 64 test
  images (common.preprocess_images); calibration: 256 training images of
  a fixed permutation.

The QDQ models come from test/models/make_qdq.py (MinMax ranges from ONNX
Runtime fp32 on the calibration inputs, per-tensor activations,
per-channel int8 weights, int32 biases). make_qdq.py runs all calibration
samples as one batch, so each model is first written with a symbolic batch
dimension (NAME-dynbatch.onnx), converted (NAME-qdq-dynbatch.onnx), and
then both get the benchmark batch on their graph inputs and outputs
(fix_batch(); shapes inferred again; the -dynbatch files are deleted).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS_DIR = os.path.join(ROOT, "test", "models")
sys.path.insert(0, MODELS_DIR)
import common  # noqa: E402

MODELS = ("bert", "resnet18", "vit")

BERT = dict(dim=768, heads=12, ffn=3072, layers=12, vocab=30522, seq=128,
            batch=8, seed=1303, calib=16)
RESNET = dict(batch=1, size=224, seed=1818, bn_images=32, calib=16)
VIT = dict(batch=64, calib=256, calib_seed=20261124)


def log(msg):
    print(f"make_models: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- bert

def bert_tokens(batch, seed):
    """Random ids, kept prefixes of 64..128 tokens (the first sample full)."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, BERT["vocab"], size=(batch, BERT["seq"]))
    lengths = rng.integers(BERT["seq"] // 2, BERT["seq"] + 1, size=batch)
    lengths[0] = BERT["seq"]
    return common.pad_tokens(tokens, lengths, BERT["seq"])


def make_bert(path):
    import torch
    import bert
    saved = (bert.DIM, bert.HEADS, bert.FFN, bert.LAYERS, common.SEQ_LEN, common.VOCAB)
    bert.DIM, bert.HEADS, bert.FFN, bert.LAYERS = (BERT["dim"], BERT["heads"], BERT["ffn"],
                                                   BERT["layers"])
    common.SEQ_LEN, common.VOCAB = BERT["seq"], BERT["vocab"]
    try:
        torch.manual_seed(BERT["seed"])
        model = bert.build_model().eval()
        ids, mask = bert_tokens(BERT["batch"], 0)
        export(model, (torch.from_numpy(ids), torch.from_numpy(mask)), path,
               ["input_ids", "attention_mask"], ["logits"])
        params = sum(p.numel() for p in model.parameters())
    finally:
        (bert.DIM, bert.HEADS, bert.FFN, bert.LAYERS, common.SEQ_LEN,
         common.VOCAB) = saved
    calib_ids, calib_mask = bert_tokens(BERT["calib"], 1)
    return ({"input_ids": ids, "attention_mask": mask},
            {"input_ids": calib_ids, "attention_mask": calib_mask}, params)


# ---------------------------------------------------------------- resnet18

def resnet_images(u8, seed):
    """uint8 [N,28,28] -> float32 [N,3,224,224], mean 0 std 1 (bilinear upscale,
    three channels with different gains)."""
    import torch
    import torch.nn.functional as F
    x = torch.from_numpy(u8.astype(np.float32) / 255.0)[:, None]
    x = F.interpolate(x, size=(RESNET["size"], RESNET["size"]), mode="bilinear",
                      align_corners=False)
    gains = torch.tensor([1.0, 0.8, 0.6]).reshape(1, 3, 1, 1)
    x = x * gains
    x = (x - x.mean()) / x.std()
    return x.numpy().astype(np.float32)


def build_resnet18():
    import torch.nn as nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet18(nn.Module):
        def __init__(self, classes=1000):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            layers, cin = [], 64
            for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                layers.append(nn.Sequential(BasicBlock(cin, cout, stride),
                                            BasicBlock(cout, cout, 1)))
                cin = cout
            self.layer1, self.layer2, self.layer3, self.layer4 = layers
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            x = self.avgpool(x).flatten(1)
            return self.fc(x)

    return ResNet18()


def make_resnet18(path):
    import torch
    torch.manual_seed(RESNET["seed"])
    model = build_resnet18()
    train_u8, _ = common.load_fmnist("train")
    test_u8, _ = common.load_fmnist("t10k")
    rng = np.random.default_rng(RESNET["seed"])
    perm = rng.permutation(len(train_u8))
    # BN statistics from images like the inputs (cumulative average).
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
            m.reset_running_stats()
    model.train()
    with torch.no_grad():
        bn_idx = perm[:RESNET["bn_images"]]
        for start in range(0, len(bn_idx), 8):
            model(torch.from_numpy(resnet_images(train_u8[bn_idx[start:start + 8]], 0)))
    model.eval()
    x = resnet_images(test_u8[:RESNET["batch"]], 0)
    export(model, (torch.from_numpy(x),), path, ["image"], ["logits"])
    calib = resnet_images(train_u8[perm[RESNET["bn_images"]:][:RESNET["calib"]]], 0)
    params = sum(p.numel() for p in model.parameters())
    return {"image": x}, {"image": calib}, params


# ---------------------------------------------------------------- vit

def make_vit(path):
    import onnx
    m = onnx.load(os.path.join(MODELS_DIR, "vit-op17.onnx"))
    onnx.save(m, path)
    test_u8, _ = common.load_fmnist("t10k")
    train_u8, _ = common.load_fmnist("train")
    rng = np.random.default_rng(VIT["calib_seed"])
    idx = rng.permutation(len(train_u8))[:VIT["calib"]]
    params = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
    return ({"image": common.preprocess_images(test_u8[:VIT["batch"]])},
            {"image": common.preprocess_images(train_u8[idx])}, params)


# ---------------------------------------------------------------- common

def export(model, args, path, input_names, output_names):
    """torch.onnx.export at opset 17, inference mode, the batch dimension
    symbolic (fix_batch() fixes it after the calibration)."""
    import onnx
    import torch
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, opset_version=17, input_names=input_names,
                          output_names=output_names, training=torch.onnx.TrainingMode.EVAL,
                          do_constant_folding=True,
                          dynamic_axes={n: {0: "batch"} for n in input_names + output_names})
    m = onnx.load(path)
    m.producer_name = "qcc bench/models"
    m.doc_string = f"{os.path.basename(path)}: random weights, see bench/models/make_models.py"
    onnx.checker.check_model(m)
    onnx.save(m, path)


def fix_batch(src, dst, batch):
    """Copies src with the first dimension of every graph input and output
    fixed to `batch` (intermediate shapes are inferred again)."""
    import onnx
    m = onnx.load(src)
    for io in list(m.graph.input) + list(m.graph.output):
        dim = io.type.tensor_type.shape.dim[0]
        dim.Clear()
        dim.dim_value = batch
    del m.graph.value_info[:]
    m = onnx.shape_inference.infer_shapes(m)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


MAKERS = {"bert": make_bert, "resnet18": make_resnet18, "vit": make_vit}


def files(out, name):
    return {"float_dyn": os.path.join(out, f"{name}-dynbatch.onnx"),
            "qdq_dyn": os.path.join(out, f"{name}-qdq-dynbatch.onnx"),
            "float": os.path.join(out, f"{name}.onnx"),
            "qdq": os.path.join(out, f"{name}-qdq.onnx"),
            "calib": os.path.join(out, f"{name}-calib.npz"),
            "input_dir": os.path.join(out, f"{name}-in"),
            "meta": os.path.join(out, f"{name}.json")}


def make(name, out, force=False):
    """Makes one model's files (unless present); returns its metadata dict."""
    f = files(out, name)
    final = [p for k, p in f.items() if not k.endswith("_dyn")]
    if not force and all(os.path.exists(p) for p in final):
        with open(f["meta"]) as fh:
            return json.load(fh)
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    common.setup_torch(0, threads=os.cpu_count() or 1)
    inputs, calib, params = MAKERS[name](f["float_dyn"])
    log(f"{name}: wrote {f['float']} ({params / 1e6:.1f} M parameters) "
        f"in {time.time() - t0:.0f} s")
    np.savez(f["calib"], **calib)
    if os.path.isdir(f["input_dir"]):
        shutil.rmtree(f["input_dir"])
    os.makedirs(f["input_dir"])
    for k, v in inputs.items():
        np.save(os.path.join(f["input_dir"], f"{k}.npy"), np.ascontiguousarray(v))
    t0 = time.time()
    subprocess.run([sys.executable, os.path.join(MODELS_DIR, "make_qdq.py"), f["float_dyn"],
                    f["qdq_dyn"], "--calibration", f["calib"]], check=True)
    batch = next(iter(inputs.values())).shape[0]
    fix_batch(f["float_dyn"], f["float"], batch)
    fix_batch(f["qdq_dyn"], f["qdq"], batch)
    os.remove(f["float_dyn"])
    os.remove(f["qdq_dyn"])
    log(f"{name}: wrote {f['qdq']} in {time.time() - t0:.0f} s")
    meta = {"name": name, "parameters": int(params),
            "inputs": {k: {"shape": list(v.shape), "dtype": str(v.dtype),
                           "file": os.path.join(f["input_dir"], f"{k}.npy")}
                       for k, v in inputs.items()},
            "calibration_samples": int(next(iter(calib.values())).shape[0])}
    meta.update({k: v for k, v in f.items() if k != "meta" and not k.endswith("_dyn")})
    with open(f["meta"], "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-models"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--force", action="store_true", help="rewrite existing files")
    args = ap.parse_args()
    for name in args.models.split(","):
        if name not in MAKERS:
            ap.error(f"unknown model {name!r} (known: {', '.join(MODELS)})")
        meta = make(name, args.out, args.force)
        print(json.dumps({k: meta[k] for k in ("name", "parameters", "inputs")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
