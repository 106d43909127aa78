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

MODEL="$ROOT/examples/conv_bn_relu.mlir"
OUT="$BUILD/demo"
mkdir -p "$OUT"
echo
echo "== qcc $("$BUILD/bin/qcc" --version | head -n 1 | sed 's/^qcc version //')"
echo "== input: examples/conv_bn_relu.mlir ($(grep -c ' = qcc\.' "$MODEL") qcc ops)"
"$BUILD/bin/qcc" "$MODEL" --emit=mlir -o "$OUT/conv_bn_relu.prepared.mlir"
echo "== qcc --emit=mlir ran the prepare pipeline; result in ${OUT#$ROOT/}/conv_bn_relu.prepared.mlir:"
cat "$OUT/conv_bn_relu.prepared.mlir"
echo
echo "== what happened: batch_norm folded into conv: $(
  grep -q batch_norm "$OUT/conv_bn_relu.prepared.mlir" && echo no || echo yes)"
echo
echo "== not there yet (see the open issues):"
echo "   - ONNX import and the reference interpreter (qcc-run cannot execute a model yet)"
echo "   - calibration and integer-only quantization"
echo "   - the CPU/CUDA code generators (--emit=lib): no shared library is produced yet"
