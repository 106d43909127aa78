#!/usr/bin/env bash
#===- utils/demo.sh - set up, build, compile the example model -----------===#
#
# Shows what qcc does today, end to end, and says plainly what is missing.
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_BUILD_DIR:-$ROOT/build}"

"$ROOT/utils/setup.sh"
"$ROOT/utils/build.sh" qcc qcc-opt qcc-run

MODEL="$ROOT/examples/models/tiny_cnn.onnx"
OUT="$BUILD/demo"
mkdir -p "$OUT"
echo
echo "== qcc $("$BUILD/bin/qcc" --version | head -n 1 | sed 's/^qcc version //')"
echo "== input: examples/models/tiny_cnn.onnx (made by examples/models/make_tiny_cnn.py):"
echo "   Conv-BatchNorm-Relu-MaxPool x2, GlobalAveragePool, Flatten, Gemm; batch dimension symbolic"
"$BUILD/bin/qcc" "$MODEL" --emit=mlir --shape image=4x1x28x28 -o "$OUT/tiny_cnn.mlir"
echo "== qcc --emit=mlir --shape image=4x1x28x28: imported and prepared -> ${OUT#$ROOT/}/tiny_cnn.mlir"
echo "   ops after the prepare pipeline:"
grep -o ' qcc\.[a-z_]*' "$OUT/tiny_cnn.mlir" | sort | uniq -c | sed 's/^/    /'
echo "   batch norm folded into the convolutions: $(
  grep -q batch_norm "$OUT/tiny_cnn.mlir" && echo no || echo yes)"
echo
echo "== not there yet (see the open issues):"
echo "   - the reference interpreter: qcc-run cannot execute a model yet"
echo "   - calibration and integer-only quantization"
echo "   - the CPU/CUDA code generators (--emit=lib): no shared library is produced yet"
