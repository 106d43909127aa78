#!/usr/bin/python3
"""The generated library against the integer interpreter, bit for bit.

    bitexact.py BUILD_BIN WORKDIR

For each trained test model (cnn, vit, bert at opset 17) and input set
(test/models/data: 8 images, or 1 unpadded BERT sample), and again with
4-bit weights everywhere (the CNN with --layer-bits=*=W4A4, BERT with
*=W4A8), and with the mix --precision=mixed --size-budget=60% chooses
(CNN and ViT; qcc and qcc-run must choose the same mix, with some 4-bit
layers), and the CNN with its convolutions by im2col (--direct-conv=false)
rather than direct: calibrates on 64 training images, compiles `qcc MODEL -o libNAME.so`, runs it with
`qcc-run libNAME.so` and runs the same model with `qcc-run --interp=int`
(the same calibration, so the same integer graph), and requires the output
files to be byte-identical -- with 1 and 2 threads, and with the portable
kernels forced (QCC_DISABLE_VNNI=1). Prints one line per comparison and
"bitexact: N passed, N failed", and for BERT the number of requant_add
and fused linear calls in its LLVM IR.
"""
import filecmp
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "models")
sys.path.insert(0, MODELS)
import common  # noqa: E402


def run(cmd, env=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(" ".join(cmd) + "\n" + proc.stdout)
    return proc.stdout


def main():
    bin_dir, work = sys.argv[1], sys.argv[2]
    qcc, qcc_run = os.path.join(bin_dir, "qcc"), os.path.join(bin_dir, "qcc-run")
    os.makedirs(work, exist_ok=True)
    u8, _ = common.load_fmnist("train")
    idx = np.random.default_rng(5).permutation(len(u8))[:64]
    np.savez(os.path.join(work, "calib_image.npz"),
             image=common.preprocess_images(u8[idx]))
    data = os.path.join(MODELS, "data")
    bert8 = [("input_ids", "input_ids_8.npy"),
             ("attention_mask", "attention_mask_8.npy")]
    # (model, batch, inputs, extra qcc flags, tag): the "-w4" cases store
    # every layer's weights at 4 bits (two per byte in the library), the
    # CNN's activations into its convs and matmuls at 4 bits too.
    w4 = ["--layer-bits=*=W4A8"]
    w4a4 = ["--layer-bits=*=W4A4"]
    mixed = ["--precision=mixed", "--size-budget=60%"]
    cases = [("cnn", "8", [("image", "image_8.npy")], [], ""),
             ("vit", "8", [("image", "image_8.npy")], [], ""),
             ("bert", "8", bert8, [], ""),
             ("bert", "1", [("input_ids", "input_ids_1.npy"),
                            ("attention_mask", "attention_mask_1.npy")], [], ""),
             ("cnn", "8", [("image", "image_8.npy")], w4a4, "-w4a4"),
             ("cnn", "8", [("image", "image_8.npy")], ["--direct-conv=false"],
              "-im2col"),
             ("bert", "8", bert8, w4, "-w4"),
             ("cnn", "8", [("image", "image_8.npy")], mixed, "-mixed"),
             ("vit", "8", [("image", "image_8.npy")], mixed, "-mixed")]
    # The sensitivity measurements of --precision=mixed are cached here.
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
    passed = failed = 0
    for model, n, inputs, extra, tag in cases:
        name = f"{model}{n}{tag}"
        shape = "x".join(map(str, np.load(os.path.join(data, inputs[0][1])).shape))
        shapes = sum((["--shape", f"{k}={shape}"] for k, _ in inputs), [])
        feeds = sum((["--input", f"{k}={os.path.join(data, f)}"] for k, f in inputs), [])
        if model == "bert":
            ids = np.load(os.path.join(data, inputs[0][1]))
            s = ids.shape[1]
            lengths = np.random.default_rng(6).integers(1, s + 1, size=64)
            tok, mask = common.pad_tokens(common.tokenize(u8[idx]), lengths, s)
            calib = os.path.join(work, f"calib_bert_{s}.npz")
            np.savez(calib, input_ids=tok, attention_mask=mask)
        else:
            calib = os.path.join(work, "calib_image.npz")
        onnx = os.path.join(MODELS, f"{model}-op17.onnx")
        lib = os.path.join(work, f"lib{name}.so")
        try:
            log = run([qcc, onnx, "--calibration", calib, "-o", lib] + shapes + extra,
                      env=env)
            ref = os.path.join(work, f"{name}_interp")
            interp_log = run([qcc_run, onnx, "--interp=int", "--calibration", calib,
                              "--output-dir", ref] + shapes + feeds
                             + [e for e in extra if not e.startswith("--direct")],
                             env=env)
            if "--precision=mixed" in extra:
                chosen = [line.split()[:2] for line in log.splitlines()
                          if line.startswith("  /")]
                again = [line.split()[:2] for line in interp_log.splitlines()
                         if line.startswith("  /")]
                if chosen != again or not any(b.startswith("W4") for _, b in chosen):
                    raise RuntimeError(f"mixes differ or have no 4-bit layer:\n"
                                       f"qcc {chosen}\nqcc-run {again}")
            if name == "bert8":
                # The residual adds after the attention output and FFN2
                # projections run in the fused linear's epilogue (requant
                # then add); only the embedding sum stays a requant_add,
                # which runs as a generated kernel.
                # Each layer's attention (transposes, both products, the
                # softmax and the requant) is one qcc_rt_attention call.
                ll = os.path.join(work, f"{name}.ll")
                run([qcc, onnx, "--calibration", calib, "--emit=llvm", "-o", ll]
                    + shapes, env=env)
                with open(ll) as f:
                    text = f.read()
                print(f"{name}: requant_add calls "
                      f"{text.count('call i32 @qcc_rt_requant_add(')}, "
                      f"generated calls "
                      f"{text.count('call i32 @qcc_rt_run_generated(')}, "
                      f"linear calls "
                      f"{text.count('call i32 @qcc_rt_linear(')}, attention "
                      f"calls {text.count('call i32 @qcc_rt_attention(')}, "
                      f"softmax calls "
                      f"{text.count('call i32 @qcc_rt_int_softmax(')}")
        except RuntimeError as e:
            print(f"{name}: FAILED to build or interpret\n{e}")
            failed += 1
            continue
        for threads in ("1", "2"):
            for portable in (False, True):
                env = dict(os.environ)
                if portable:
                    env["QCC_DISABLE_VNNI"] = "1"
                tag = f"{name} threads={threads}{' portable' if portable else ''}"
                out = os.path.join(work, f"{name}_lib_{threads}_{int(portable)}")
                try:
                    run([qcc_run, lib, "--threads", threads, "--output-dir", out] + feeds,
                        env=env)
                except RuntimeError as e:
                    print(f"{tag}: FAILED to run\n{e}")
                    failed += 1
                    continue
                same = filecmp.cmp(os.path.join(ref, "logits.npy"),
                                   os.path.join(out, "logits.npy"), shallow=False)
                print(f"{tag}: {'identical' if same else 'DIFFERENT'}")
                passed += same
                failed += not same
    print(f"bitexact: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
