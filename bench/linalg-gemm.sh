#!/usr/bin/env bash
#===- bench/linalg-gemm.sh - upstream-MLIR int8 GEMMs vs qcc_rt_linear ----===#
#
# Generates int8 GEMMs from linalg ops with upstream MLIR 22 only
# (mlir-opt-22 transform schedules, mlir-translate-22, opt-22 -O3,
# llc-22 -O3 -mcpu=native), builds the
# driver against build/lib/libqcc_runtime.a and runs it (single thread):
#
#   bench/linalg-gemm.sh                  # build, verify, time (3 x 0.5 s)
#   bench/linalg-gemm.sh --repeat 1       # arguments go to the driver
#   QCC_LG_BUILD_ONLY=1 bench/linalg-gemm.sh
#
# Register tiles (rows x i32 columns, powers of two: LLVM scalarizes
# 48-lane vectors) and cache blocks per variant can be overridden, e.g.
# TILE_vnni2w="4 64" BLOCK_vnni2w="256 256 128" bench/linalg-gemm.sh. Outputs in build/linalg-gemm/:
# the IR after each stage, the objects, and hotloop.txt (the instruction
# mix of every generated function's hot loop). See
# bench/linalg-gemm/RESULTS.md.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/bench/linalg-gemm"
OUT="$ROOT/build/linalg-gemm"
MLIR_OPT=/usr/bin/mlir-opt-22
MLIR_TRANSLATE=/usr/bin/mlir-translate-22
OPT=/usr/bin/opt-22
LLC=/usr/bin/llc-22
CXX=/usr/bin/clang++-22
M=1024
SHAPES="768x768 3072x768 768x3072 3072x3072"
VARIANTS="plain vnni4 vnni2 vnni2w"
: "${TILE_plain:=8 32}"
: "${TILE_vnni4:=8 32}"
: "${TILE_vnni2:=4 64}"
: "${TILE_vnni2w:=8 32}"
# Cache blocks of the packed variants: rows, columns, reduction steps (k
# groups of 4 for vnni4, pairs for vnni2/vnni2w); plain has none.
: "${BLOCK_vnni4:=256 256 64}"
: "${BLOCK_vnni2:=256 256 128}"
: "${BLOCK_vnni2w:=256 256 128}"
BLOCK_plain="- - -"

if [[ ! -f "$ROOT/build/lib/libqcc_runtime.a" ]]; then
  ninja -C "$ROOT/build" qcc_runtime >&2
fi
mkdir -p "$OUT"

# The lowering to the LLVM dialect shared by all variants.
to_llvm=(--convert-linalg-to-loops --lower-affine --convert-scf-to-cf
  --expand-strided-metadata --convert-vector-to-llvm
  --finalize-memref-to-llvm --convert-arith-to-llvm
  '--convert-func-to-llvm=use-bare-ptr-memref-call-conv=1'
  --convert-cf-to-llvm --convert-ub-to-llvm --reconcile-unrealized-casts)

# build VARIANT N K TM TN MB NB KB: one function, one object.
build() {
  local v=$1 n=$2 k=$3 tm=$4 tn=$5 mb=$6 nb=$7 kb=$8
  local base="$OUT/${v}_${n}x${k}"
  sed -e "s/@M@/$M/g" -e "s/@N@/$n/g" -e "s/@K@/$k/g" \
    -e "s/@K2@/$((k / 2))/g" -e "s/@K4@/$((k / 4))/g" \
    "$SRC/gemm_$v.mlir.in" >"$base.mlir"
  if [[ $v == plain ]]; then
    sed -e "s/@TM@/$tm/g" -e "s/@TN@/$tn/g" "$SRC/sched_plain.mlir.in" \
      >"$base.sched.mlir"
    "$MLIR_OPT" "$base.mlir" \
      "--transform-preload-library=transform-library-paths=$base.sched.mlir" \
      --transform-interpreter --canonicalize --cse -o "$base.vec.mlir"
  else
    sed -e "s/@TM@/$tm/g" -e "s/@TN@/$tn/g" -e "s/@MB@/$mb/g" \
      -e "s/@NB@/$nb/g" -e "s/@KB@/$kb/g" "$SRC/sched_packed.mlir.in" \
      >"$base.sched.mlir"
    "$MLIR_OPT" "$base.mlir" \
      "--transform-preload-library=transform-library-paths=$base.sched.mlir" \
      --transform-interpreter --test-vector-transfer-flatten-patterns \
      -o "$base.phase1.mlir"
    "$MLIR_OPT" "$base.phase1.mlir" \
      "--transform-preload-library=transform-library-paths=$SRC/sched_lower.mlir" \
      --transform-interpreter --test-vector-linearize --canonicalize --cse \
      -o "$base.vec.mlir"
  fi
  "$MLIR_OPT" "$base.vec.mlir" "${to_llvm[@]}" -o "$base.llvm.mlir"
  "$MLIR_TRANSLATE" --mlir-to-llvmir "$base.llvm.mlir" -o "$base.ll"
  # opt -O3, then llc. Both steps matter for the packed variants: with llc
  # alone, or with clang++-22 -O3 -march=native on the .ll, the X86
  # backend does not match the even/odd pair sums to vpdpwssd and emits
  # vpmulld + vpermt2d instead (see RESULTS.md).
  "$OPT" -O3 -mcpu=native "$base.ll" -S -o "$base.opt.ll"
  "$LLC" -O3 -mcpu=native -filetype=obj "$base.opt.ll" -o "$base.o"
}

objs=()
for v in $VARIANTS; do
  tile="TILE_$v"
  block="BLOCK_$v"
  read -r tm tn <<<"${!tile}"
  read -r mb nb kb <<<"${!block}"
  for s in $SHAPES; do
    build "$v" "${s%x*}" "${s#*x}" "$tm" "$tn" "$mb" "$nb" "$kb"
    objs+=("$OUT/${v}_$s.o")
  done
  echo "built $v (register tile $tm x $tn, cache blocks $mb x $nb x $kb)" >&2
done

"$CXX" -O2 -std=c++17 -march=native -I"$ROOT/include" "$SRC/driver.cpp" \
  "${objs[@]}" "$ROOT/build/lib/libqcc_runtime.a" -lpthread \
  -o "$OUT/linalg-gemm"

/usr/bin/python3 "$SRC/hotloop.py" "${objs[@]}" >"$OUT/hotloop.txt"
# Does LLVM's X86 backend form vpdpbusd from the u8 x s8 dot-product shapes
# a vectorizer can produce? (the probe's functions, compiled alone)
"$OPT" -O3 -mcpu=native "$SRC/probe_vpdpbusd.ll" -S -o "$OUT/probe_vpdpbusd.opt.ll"
"$LLC" -O3 -mcpu=native "$OUT/probe_vpdpbusd.opt.ll" -o "$OUT/probe_vpdpbusd.s"
count() { grep -cE "^\s+$1\s" "$OUT/probe_vpdpbusd.s" || true; }
echo "probe_vpdpbusd.ll (3 functions): $(count vpdpbusd) vpdpbusd," \
  "$(count vpdpwssd) vpdpwssd, $(count vpmaddwd) vpmaddwd," \
  "$(count vpmulld) vpmulld" >>"$OUT/hotloop.txt"
echo "hot loops of the generated functions ($OUT/hotloop.txt):"
grep -v _mlir_ciface "$OUT/hotloop.txt"

if [[ -n "${QCC_LG_BUILD_ONLY:-}" ]]; then
  exit 0
fi
exec "$OUT/linalg-gemm" "$@"
