#!/usr/bin/env bash
#===- utils/fuzz.sh - build and run the ONNX importer fuzzer -------------===#
#
#   utils/fuzz.sh [SECONDS] [extra libFuzzer flags...]     (default 600 s)
#
# Configures $QCC_FUZZ_BUILD_DIR (default build-fuzz/) once with QCC_FUZZ=ON,
# so that qcc's libraries carry ASan, UBSan and libFuzzer's coverage
# instrumentation, builds qcc-onnx-fuzzer there and runs it in one process
# (-jobs=1 -workers=1) from the seeds in test/fuzz/corpus. The corpus it
# grows stays in build-fuzz/fuzz/corpus (not committed); crashes, leaks and
# timeouts land in build-fuzz/fuzz/artifacts/ (crash-*, leak-*, timeout-*,
# oom-*). Replay one with `build-fuzz/bin/qcc-onnx-fuzzer FILE`.
# Exit status: libFuzzer's (0 when nothing was found).
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
DURATION="${1:-600}"
shift || true

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DQCC_LLVM_PREFIX=/usr/lib/llvm-22 \
    -DQCC_BUILD_FUZZERS=ON -DQCC_FUZZ=ON
fi
ninja -C "$BUILD" qcc-onnx-fuzzer

WORK="$BUILD/fuzz"
mkdir -p "$WORK/corpus" "$WORK/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer

# -jobs=1 makes libFuzzer run the fuzzing process as a child that logs to
# fuzz-0.log in the current directory: follow it while it runs. The parent
# repeats that log when the job ends; keep its copy in parent.log.
cd "$WORK"
rm -f fuzz-0.log
touch fuzz-0.log
tail -n +1 -F fuzz-0.log 2>/dev/null &
tail_pid=$!
rc=0
"$BUILD/bin/qcc-onnx-fuzzer" \
  -max_total_time="$DURATION" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -jobs=1 -workers=1 -print_final_stats=1 \
  -artifact_prefix="$WORK/artifacts/" "$@" \
  "$WORK/corpus" "$ROOT/test/fuzz/corpus" > parent.log 2>&1 || rc=$?
sleep 1
kill "$tail_pid" 2>/dev/null || true
wait "$tail_pid" 2>/dev/null || true
grep -E '^==+ Job' parent.log || tail -n 5 parent.log
echo "fuzz: exit $rc; corpus: $(ls "$WORK/corpus" | wc -l) inputs;" \
     "findings: $(ls "$WORK/artifacts" | wc -l) in $WORK/artifacts"
exit "$rc"
