// qcc-allocate-bits on a chain of four matmuls with given sensitivities,
// solved by CBC and by the built-in exact solver with the same checks.
// Weights (params): l0 8x16 (128), l1 16x16 (256), l2 16x16 (256), l3 16x4
// (64): 704 bytes at 8 bits. MACs: 256, 512, 512, 128; BOPs at W8A8 =
// 64 x MACs = 90112. l0 and l3 stay W8A8 (first and last) by default.

// Size 90% = 633.6 bytes: l0 + l3 take 192, so l1 + l2 <= 441.6 -- one of
// them at 4 bits; l1's W4A8 (0.1) is the cheaper loss.
// RUN: %if cbc %{ qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=90% solver=cbc}))' | FileCheck %s --check-prefix=SIZE %}
// RUN: qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=90% solver=exact}))' | FileCheck %s --check-prefix=SIZE
// SIZE-LABEL: func.func @chain
// SIZE: qcc.matmul {{.*}}loc("l0")
// SIZE-NOT: weight_bits
// SIZE: qcc.matmul {{.*}}qcc.weight_bits = 4 : i64{{.*}}loc("l1")
// SIZE-NOT: weight_bits
// SIZE: return

// BOPs 70% = 63078.4: l0 + l3 take 24576, so l1 + l2 <= 38502.4: both at
// W4A8 (16384 each, loss 0.4) beats any mix with W4A4 or W8A8 that fits.
// RUN: %if cbc %{ qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{bops-budget=70% solver=cbc}))' | FileCheck %s --check-prefix=BOPS %}
// RUN: qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{bops-budget=70% solver=exact}))' | FileCheck %s --check-prefix=BOPS
// BOPS-LABEL: func.func @chain
// BOPS-NOT: qcc.activation_bits
// BOPS: qcc.matmul {{.*}}qcc.weight_bits = 4 : i64{{.*}}loc("l1")
// BOPS: qcc.matmul {{.*}}qcc.weight_bits = 4 : i64{{.*}}loc("l2")
// BOPS-NOT: qcc.activation_bits

// BOPs 60% = 54067.2 leaves 29491.2 for l1 + l2: W4A8 + W4A4 (24576).
// RUN: %if cbc %{ qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{bops-budget=60% solver=cbc}))' | FileCheck %s --check-prefix=BOPS60 %}
// RUN: qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{bops-budget=60% solver=exact}))' | FileCheck %s --check-prefix=BOPS60
// BOPS60: qcc.matmul {{.*}}qcc.weight_bits = 4 : i64{{.*}}loc("l1")
// BOPS60: qcc.matmul {{.*}}qcc.activation_bits = 4 : i64, {{.*}}qcc.weight_bits = 4 : i64{{.*}}loc("l2")

// Without the first/last rule, 50% (352 bytes) puts every layer at 4 bits.
// RUN: qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=352 keep-first-last=false solver=exact}))' | FileCheck %s --check-prefix=ENDS
// ENDS-COUNT-4: qcc.weight_bits = 4 : i64

// 100% admits the all-W8A8 assignment exactly: nothing changes.
// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=100% solver=exact}))' | FileCheck %s --check-prefix=FULL
// FULL-NOT: qcc.weight_bits
// FULL-NOT: qcc.activation_bits

// Infeasible budgets name the smallest feasible one: 192 + 128 + 128.
// RUN: %if cbc %{ not qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=100 solver=cbc}))' 2>&1 | FileCheck %s --check-prefix=INFEASIBLE %}
// RUN: not qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=100 solver=exact}))' 2>&1 | FileCheck %s --check-prefix=INFEASIBLE
// INFEASIBLE: error: size budget 100 bytes is infeasible: the smallest feasible size budget is 448 bytes

// Weight error as the sensitivity: l1's weights are exact at 4 bits (all
// +-0.5, error 0), l2's are not, so 90% takes l1 even with no
// qcc.sensitivity.
// RUN: qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=90% sensitivity=weight-error solver=exact}))' | FileCheck %s --check-prefix=SIZE

// Hessian traces from a file multiply the weight error.
// RUN: qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=90% sensitivity=%S/Inputs/traces.json solver=exact}))' | FileCheck %s --check-prefix=SIZE

// Bad options and missing data are errors.
// RUN: not qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=ninety}))' 2>&1 | FileCheck %s --check-prefix=BADBUDGET
// BADBUDGET: error: invalid size budget 'ninety' (expected a non-negative number or N%)
// RUN: not qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{latency-budget=80%}))' 2>&1 | FileCheck %s --check-prefix=NOLATENCY
// NOLATENCY: error: {{.*}}layer 'l0' has no measured latency for every configuration (run qcc-tune for this machine)
// RUN: not qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=90% configs=W4A8,W3A8}))' 2>&1 | FileCheck %s --check-prefix=BADCONFIG
// BADCONFIG: error: invalid configuration 'W3A8' (expected WxAy with x and y 8 or 4)
// RUN: not qcc-opt %s --mlir-print-debuginfo --mlir-print-local-scope --pass-pipeline='builtin.module(func.func(qcc-allocate-bits{size-budget=90% sensitivity=%S/Inputs/missing.json}))' 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: error: cannot read sensitivity file '{{.*}}missing.json'

func.func @chain(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w0 = qcc.constant dense<0.25> : tensor<8x16xf32>
  %w1b = qcc.constant dense<[[0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5], [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5], [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5], [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5], [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5], [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5], [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5], [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5], [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5]]> : tensor<16x16xf32>
  %w2b = qcc.constant dense<[[-0.52, 0.09, -0.26, 0.21, 0.25, -0.87, -0.97, 0.67, -0.48, -0.53, 0.99, -0.06, 0.67, -0.05, 0.28, -0.7], [0.27, 0.74, 0.05, 0.48, 0.34, -0.87, 0.52, 0.18, -0.4, -0.94, 0.73, -0.05, 0.44, 0.76, 0.43, 0.84], [-0.21, 0.6, -0.11, 0.87, 0.76, -0.81, -0.73, -0.57, 0.93, -0.13, 0.25, -0.4, 0.01, -0.23, -0.3, 0.17], [0.17, 0.81, 0.36, 0.86, 0.71, 0.98, 0.34, -0.67, 0.72, 0.93, 0.81, 0.14, 0.43, -0.58, 0.66, 0.15], [-0.43, -0.87, 0.71, 0.98, -0.82, 0.6, -0.18, -0.7, -0.41, 0.54, 0.75, -0.91, 0.23, -0.91, 0.44, -0.34], [0.76, 0.96, 0.01, 1.0, -0.38, -0.85, 0.2, -0.94, -0.61, -0.18, 0.22, -0.69, -0.92, 0.74, -0.37, 0.92], [0.79, -0.24, -0.08, 0.04, 0.29, 0.19, 0.12, 0.24, 0.88, 0.01, -0.14, 0.44, -0.52, -0.4, 0.96, 0.04], [0.1, -0.98, -0.17, 0.16, -0.96, 0.23, 0.26, -0.88, 0.25, -0.07, 0.36, -0.29, 0.41, 0.48, -0.96, -0.88], [0.35, 0.93, -0.5, -0.09, 0.19, -0.36, -0.27, -0.37, -0.26, 0.19, -0.4, -0.25, 0.54, -0.95, 0.14, 0.47], [-0.38, -0.55, 0.61, -0.52, -0.63, -0.13, 0.4, -0.8, -0.36, -0.33, 0.67, -0.12, 0.71, -0.66, -0.33, 0.3], [0.77, -0.1, -0.55, -0.76, 0.06, -0.62, 0.61, 0.68, -0.63, -0.44, 0.61, 0.28, 0.61, -0.31, -0.74, -0.42], [0.59, -0.46, -0.31, -0.17, -0.16, -0.18, 0.84, -0.69, -0.99, 0.89, 0.76, 0.97, -0.13, 0.9, 0.85, -0.56], [0.49, 0.67, 0.33, 0.04, -0.42, -0.32, -0.55, -0.86, 0.18, -0.43, 0.62, -0.91, 0.81, 0.39, 0.85, 0.79], [0.8, 0.15, -0.97, 0.49, -0.66, -0.4, 0.33, 0.05, -0.17, 0.88, 0.22, -0.32, -0.5, 0.72, -0.05, 0.56], [-0.3, -0.61, 0.07, 0.63, -0.66, 0.58, 0.84, 0.61, 0.65, -0.98, 0.26, 0.73, -0.9, -0.46, -0.46, 0.05], [-0.15, -0.05, 0.55, -1.0, -0.89, -0.75, -0.75, -0.86, 0.95, 0.71, -0.83, 0.0, -0.37, -0.37, -0.3, 0.29]]> : tensor<16x16xf32>
  %w3 = qcc.constant dense<0.125> : tensor<16x4xf32>
  %a = qcc.matmul %x, %w0 {qcc.sensitivity = {W4A8 = 0.01 : f64, W4A4 = 0.03 : f64}} : (tensor<2x8xf32>, tensor<8x16xf32>) -> tensor<2x16xf32> loc("l0")
  %b = qcc.matmul %a, %w1b {qcc.sensitivity = {W4A8 = 0.1 : f64, W4A4 = 0.5 : f64}} : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32> loc("l1")
  %c = qcc.matmul %b, %w2b {qcc.sensitivity = {W4A8 = 0.3 : f64, W4A4 = 0.4 : f64}} : (tensor<2x16xf32>, tensor<16x16xf32>) -> tensor<2x16xf32> loc("l2")
  %d = qcc.matmul %c, %w3 {qcc.sensitivity = {W4A8 = 0.02 : f64, W4A4 = 0.06 : f64}} : (tensor<2x16xf32>, tensor<16x4xf32>) -> tensor<2x4xf32> loc("l3")
  return %d : tensor<2x4xf32>
}
