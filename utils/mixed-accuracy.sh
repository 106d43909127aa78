#!/usr/bin/env bash
#===- utils/mixed-accuracy.sh - regenerate docs/MixedPrecision.md --------===#
#
# Builds qcc, then measures the accuracy, size and latency of
# --precision=mixed on the CNN and ViT for size budgets 50..100% and writes
# the table to docs/MixedPrecision.md (test/models/mixed_accuracy.py).
# Latencies are wall-clock: run it on an otherwise idle machine.
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_BUILD_DIR:-$ROOT/build}"
"$ROOT/utils/setup.sh"
"$ROOT/utils/build.sh" all
/usr/bin/python3 "$ROOT/test/models/mixed_accuracy.py" --build "$BUILD" \
  --budgets 50,60,70,80,90,100 --latency \
  --write-docs "$ROOT/docs/MixedPrecision.md" --check "$@"
