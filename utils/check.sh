#!/usr/bin/env bash
#===- utils/check.sh - set up, build and run every qcc test suite --------===#
#
# Prints one summary; the last line is "N passed, N failed". Exit status is
# non-zero if anything failed or nothing ran.
#===----------------------------------------------------------------------===#
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QCC_BUILD_DIR:-$ROOT/build}"
LIT=/usr/lib/llvm-22/bin/lit
start=$(date +%s)

"$ROOT/utils/setup.sh" || { echo "check: setup failed"; exit 1; }
"$ROOT/utils/build.sh" all || { echo "check: build failed"; exit 1; }

# Suite 1: lit + FileCheck regression tests.
lit_out="$BUILD/check-lit.txt"
"$LIT" -sv --xunit-xml-output "$BUILD/check-lit.xml" "$BUILD/test" | tee "$lit_out"
lit_rc=${PIPESTATUS[0]}
count() { grep -E "^ *$1: +[0-9]+" "$lit_out" | awk '{print $2}' | head -n 1; }
lit_pass=$(( $(count Passed || echo 0) + $(count "Expectedly Failed" || echo 0) ))
lit_fail=$(( $(count Failed || echo 0) + $(count "Unexpectedly Passed" || echo 0) ))
lit_skip=$(( $(count Unsupported || echo 0) ))

# Suite 2: GoogleTest unit tests.
unit_out="$BUILD/check-unit.txt"
"$BUILD/bin/qcc-unittests" --gtest_brief=1 | tee "$unit_out"
unit_rc=${PIPESTATUS[0]}
unit_total=$("$BUILD/bin/qcc-unittests" --gtest_list_tests | grep -c '^  ')
unit_fail=$(grep -c '^\[  FAILED  \] [A-Za-z]' "$unit_out" || true)
unit_pass=$(( unit_total - unit_fail ))

# Suite 3: ONNX 1.12's backend node tests (test/onnx-backend/run.py): full
# mode when qcc-run executes models, else import-only; it says which.
onnx_out="$BUILD/check-onnx-backend.txt"
/usr/bin/python3 "$ROOT/test/onnx-backend/run.py" --auto --build "$BUILD" | tee "$onnx_out"
onnx_rc=${PIPESTATUS[0]}
onnx_line=$(grep -E '^onnx-backend \(' "$onnx_out" | tail -n 1)
onnx_count() { echo "$onnx_line" | grep -oE "[0-9]+ $1" | awk '{print $1}' | tail -n 1; }
onnx_mode=$(echo "$onnx_line" | sed -nE 's/^onnx-backend \(([a-z-]+) mode.*/\1/p')
onnx_pass=$(( $(onnx_count passed || echo 0) + $(onnx_count xfailed || echo 0) ))
onnx_fail=$(( $(onnx_count failed || echo 0) + $(onnx_count "unexpectedly passed" || echo 0) ))
onnx_skip=$(( $(onnx_count unsupported-op || echo 0) ))

# Suite 4: whole models (test/models/*.onnx) against ONNX Runtime 1.30 on
# 1000 Fashion-MNIST test images (test/models/compare.py).
models_out="$BUILD/check-models.txt"
/usr/bin/python3 "$ROOT/test/models/compare.py" --build "$BUILD" | tee "$models_out"
models_rc=${PIPESTATUS[0]}
models_line=$(grep -E '^models: ' "$models_out" | tail -n 1)
models_pass=$(echo "$models_line" | sed -nE 's/^models: ([0-9]+) passed.*/\1/p')
models_fail=$(echo "$models_line" | sed -nE 's/.* ([0-9]+) failed$/\1/p')
models_pass=${models_pass:-0}
models_fail=${models_fail:-0}

# Suite 5: integer-only (int8) accuracy of the test models against their
# float runs on 1000 test images, every calibration method
# (test/models/int8_accuracy.py; the table is docs/Accuracy.md).
int8_out="$BUILD/check-int8.txt"
/usr/bin/python3 "$ROOT/test/models/int8_accuracy.py" --build "$BUILD" --check | tee "$int8_out"
int8_rc=${PIPESTATUS[0]}
int8_line=$(grep -E '^int8: ' "$int8_out" | tail -n 1)
int8_pass=$(echo "$int8_line" | sed -nE 's/^int8: ([0-9]+) passed.*/\1/p')
int8_fail=$(echo "$int8_line" | sed -nE 's/.* ([0-9]+) failed$/\1/p')
int8_pass=${int8_pass:-0}
int8_fail=${int8_fail:-0}

# Suite 6: QDQ models (test/models/<model>-qdq.onnx, made by make_qdq.py):
# qcc --interp=int on the model's own scales against ONNX Runtime's QDQ run,
# and the integer graph keeps the model's weights and scales
# (test/models/qdq_check.py).
qdq_out="$BUILD/check-qdq.txt"
/usr/bin/python3 "$ROOT/test/models/qdq_check.py" --build "$BUILD" | tee "$qdq_out"
qdq_rc=${PIPESTATUS[0]}
qdq_line=$(grep -E '^qdq: ' "$qdq_out" | tail -n 1)
qdq_pass=$(echo "$qdq_line" | sed -nE 's/^qdq: ([0-9]+) passed.*/\1/p')
qdq_fail=$(echo "$qdq_line" | sed -nE 's/.* ([0-9]+) failed$/\1/p')
qdq_pass=${qdq_pass:-0}
qdq_fail=${qdq_fail:-0}

# Suite 7: mixed precision (issue 6): the CNN and ViT at --precision=mixed
# --size-budget=60% within 1.5 points of float top-1 on 1000 test images
# (test/models/mixed_accuracy.py; the curve is docs/MixedPrecision.md).
mixed_out="$BUILD/check-mixed.txt"
/usr/bin/python3 "$ROOT/test/models/mixed_accuracy.py" --build "$BUILD" --check | tee "$mixed_out"
mixed_rc=${PIPESTATUS[0]}
mixed_line=$(grep -E '^mixed: ' "$mixed_out" | tail -n 1)
mixed_pass=$(echo "$mixed_line" | sed -nE 's/^mixed: ([0-9]+) passed.*/\1/p')
mixed_fail=$(echo "$mixed_line" | sed -nE 's/.* ([0-9]+) failed$/\1/p')
mixed_pass=${mixed_pass:-0}
mixed_fail=${mixed_fail:-0}

end=$(date +%s)
echo
echo "=== qcc test summary ($(( end - start )) s) ==="
printf '  lit:  %d passed, %d failed, %d unsupported (features missing on this host)\n' \
  "$lit_pass" "$lit_fail" "$lit_skip"
printf '  unit: %d passed, %d failed\n' "$unit_pass" "$unit_fail"
printf '  onnx-backend: %d passed (%d expected failures), %d failed, %d unsupported-op (%s mode)\n' \
  "$onnx_pass" "$(onnx_count xfailed || echo 0)" "$onnx_fail" "$onnx_skip" "${onnx_mode:-no}"
printf '  models vs ONNX Runtime: %d passed, %d failed\n' "$models_pass" "$models_fail"
printf '  int8 accuracy vs float: %d passed, %d failed\n' "$int8_pass" "$int8_fail"
printf '  QDQ models vs ONNX Runtime: %d passed, %d failed\n' "$qdq_pass" "$qdq_fail"
printf '  mixed precision accuracy vs float: %d passed, %d failed\n' "$mixed_pass" "$mixed_fail"
total_pass=$(( lit_pass + unit_pass + onnx_pass + models_pass + int8_pass + qdq_pass + mixed_pass ))
total_fail=$(( lit_fail + unit_fail + onnx_fail + models_fail + int8_fail + qdq_fail + mixed_fail ))
if [ "$lit_rc" -ne 0 ] && [ "$lit_fail" -eq 0 ]; then total_fail=$(( total_fail + 1 )); fi
if [ "$unit_rc" -ne 0 ] && [ "$unit_fail" -eq 0 ]; then total_fail=$(( total_fail + 1 )); fi
if [ "$onnx_rc" -ne 0 ] && [ "$onnx_fail" -eq 0 ]; then total_fail=$(( total_fail + 1 )); fi
if [ "$models_rc" -ne 0 ] && [ "$models_fail" -eq 0 ]; then total_fail=$(( total_fail + 1 )); fi
if [ "$int8_rc" -ne 0 ] && [ "$int8_fail" -eq 0 ]; then total_fail=$(( total_fail + 1 )); fi
if [ "$qdq_rc" -ne 0 ] && [ "$qdq_fail" -eq 0 ]; then total_fail=$(( total_fail + 1 )); fi
if [ "$mixed_rc" -ne 0 ] && [ "$mixed_fail" -eq 0 ]; then total_fail=$(( total_fail + 1 )); fi
echo "$total_pass passed, $total_fail failed"
if [ "$total_fail" -ne 0 ] || [ "$total_pass" -eq 0 ]; then exit 1; fi
