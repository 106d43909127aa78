#!/usr/bin/env bash
#===- utils/setup.sh - install everything qcc builds and tests with ------===#
#
# Idempotent: checks what is present first and only installs what is missing,
# so a second run takes about a second. Needs root (or sudo) for apt.
#
#   utils/setup.sh            # Debian packages + test oracles
#
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian 12 packages: toolchain, LLVM/MLIR 22, ONNX 1.12, protobuf, CBC,
# GoogleTest, oneDNN (the GEMM benchmark's peer), and the Python oracles (Debian's python3-onnx / torch).
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  llvm-22-dev libmlir-22-dev mlir-22-tools clang-22 llvm-22-tools libclang-rt-22-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  coinor-libcbc-dev
  libgtest-dev libgmock-dev
  libdnnl-dev
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libcurl4-openssl-dev
  python3 python3-numpy python3-onnx python3-torch
  dataset-fashion-mnist
)
# Node.js/npm only fetch the ONNX Runtime oracle; a machine may already have
# them from elsewhere (e.g. NodeSource, whose nodejs bundles npm).
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

# ONNX Runtime 1.30 for test oracles: the npm package ships the Linux x64
# shared library; --ignore-scripts skips its (network-fetching) install hook.
ORT_DIR="$ROOT/.deps/ort"
ORT_LIB="$ORT_DIR/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
if [ ! -f "$ORT_LIB" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing onnxruntime-node@1.30.0 into .deps/ort"
    mkdir -p "$ORT_DIR"
    (cd "$ORT_DIR" && npm install --no-save --ignore-scripts --no-audit \
       --no-fund --loglevel=error onnxruntime-node@1.30.0 >/dev/null)
  else
    echo "setup: warning: npm not found; ONNX Runtime oracles unavailable" >&2
  fi
else
  echo "setup: ONNX Runtime 1.30 present"
fi
