#!/usr/bin/env bash
#===- utils/accuracy.sh - regenerate docs/Accuracy.md --------------------===#
#
# Builds qcc, then measures float vs integer-only (int8) top-1 and logits
# cosine of every test model with every calibration method, and writes the
# table to docs/Accuracy.md (test/models/int8_accuracy.py).
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_BUILD_DIR:-$ROOT/build}"
"$ROOT/utils/setup.sh"
"$ROOT/utils/build.sh" all
/usr/bin/python3 "$ROOT/test/models/int8_accuracy.py" --build "$BUILD" \
  --write-docs "$ROOT/docs/Accuracy.md" --check "$@"
