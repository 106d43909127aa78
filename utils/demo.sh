#!/usr/bin/env bash
#===- utils/demo.sh - set up, build, compile and run the example model ---===#
#
# Shows what qcc does today, end to end, and says plainly what is missing.
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_BUILD_DIR:-$ROOT/build}"
PY=/usr/bin/python3

"$ROOT/utils/setup.sh"
"$ROOT/utils/build.sh" qcc qcc-run

MODEL="$ROOT/test/models/cnn-op17.onnx"
DATA="$ROOT/test/models/data"
OUT="$BUILD/demo"
mkdir -p "$OUT"
echo
echo "== qcc $("$BUILD/bin/qcc" --version | head -n 1 | sed 's/^qcc version //')"
echo "== model: test/models/cnn-op17.onnx, a ResNet-style CNN trained on Fashion-MNIST"
echo "   by test/models/cnn.py (9 Conv + 9 BatchNormalization, residual adds; batch dim symbolic)"
"$BUILD/bin/qcc" "$MODEL" --emit=mlir --precision=fp32 --shape image=8x1x28x28 -o "$OUT/cnn.mlir"
echo "== qcc --emit=mlir --precision=fp32 --shape image=8x1x28x28: imported and prepared -> ${OUT#$ROOT/}/cnn.mlir"
echo "   ops after the prepare pipeline:"
grep -oE ' qcc\.[a-z_]+ ' "$OUT/cnn.mlir" | sort | uniq -c | sed 's/^/    /'
echo "   batch norms folded into the convolutions: $(
  grep -q batch_norm "$OUT/cnn.mlir" && echo no || echo yes)"
echo
echo "== qcc-run: 8 test images through the float reference interpreter"
"$BUILD/bin/qcc-run" "$MODEL" --shape image=8x1x28x28 \
  --input image="$DATA/image_8.npy" --output-dir "$OUT"
"$PY" - "$OUT/logits.npy" "$DATA/labels_8.npy" <<'PYEOF'
import sys
import numpy as np
names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
         "Shirt", "Sneaker", "Bag", "Ankle boot"]
logits, labels = np.load(sys.argv[1]), np.load(sys.argv[2])
for i, (row, label) in enumerate(zip(logits, labels)):
    guess = int(row.argmax())
    print(f"   image {i}: predicted {names[guess]:<12} true {names[label]:<12}"
          f" {'ok' if guess == label else 'WRONG'}")
print(f"   {int((logits.argmax(1) == labels).sum())}/8 correct")
PYEOF
echo
echo "== not there yet (see the open issues):"
echo "   - calibration and integer-only quantization"
echo "   - the CPU/CUDA code generators (--emit=lib): no shared library is produced yet"
