#!/usr/bin/env bash
#===- utils/build.sh - configure (once) and build qcc --------------------===#
#
#   utils/build.sh [extra ninja targets...]
#
# Build tree: $QCC_BUILD_DIR (default: build/). Uses clang-22, ninja and
# ccache; incremental after the first run.
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_BUILD_DIR:-$ROOT/build}"
# Paths under the checkout are hashed relative to it, so a fresh clone
# elsewhere (CI) reuses this machine's ccache entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DQCC_LLVM_PREFIX=/usr/lib/llvm-22
fi
ninja -C "$BUILD" "$@"
