#!/usr/bin/env bash
#===- bench/gemm.sh - build and run the int8 GEMM benchmark --------------===#
#
# Builds qcc-bench-gemm in build/ (configured already, e.g. by
# utils/build.sh; oneDNN from utils/setup.sh) and runs it with the given
# arguments:
#
#   bench/gemm.sh                 # one pass, 1 and 2 threads
#   bench/gemm.sh --repeat 3      # best median of three passes
#   bench/gemm.sh --help
#
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_BUILD_DIR:-$ROOT/build}"
ninja -C "$BUILD" qcc-bench-gemm >&2
exec "$BUILD/bin/qcc-bench-gemm" "$@"
