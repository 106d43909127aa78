// Constant folding of shape arithmetic and data movement (expected values
// worked out by hand from NumPy semantics).
// RUN: qcc-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @shape_arithmetic
// CHECK-NEXT: %[[C:.*]] = qcc.constant dense<[8, 64, 3]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @shape_arithmetic() -> tensor<3xi64> {
  %shape = qcc.constant dense<[8, 16, 4, 3]> : tensor<4xi64>
  %i0 = qcc.constant dense<[0]> : tensor<1xi64>
  %i1 = qcc.constant dense<[1]> : tensor<1xi64>
  %i2 = qcc.constant dense<[-1]> : tensor<1xi64>
  %b = qcc.gather %shape, %i0 {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = qcc.gather %shape, %i1 {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %four = qcc.constant dense<4> : tensor<i64>
  %m = qcc.mul %s, %four : (tensor<1xi64>, tensor<i64>) -> tensor<1xi64>
  %last = qcc.gather %shape, %i2 {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %r = qcc.concat %b, %m, %last {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}

// -----

// CHECK-LABEL: func.func @integer_division
// CHECK-NEXT: qcc.constant dense<[3, -3, 2]> : tensor<3xi64>
func.func @integer_division() -> tensor<3xi64> {
  %a = qcc.constant dense<[7, -7, 5]> : tensor<3xi64>
  %b = qcc.constant dense<[2, 2, 2]> : tensor<3xi64>
  %r = qcc.div %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}

// -----

// Division by zero is left for run time to report.
// CHECK-LABEL: func.func @division_by_zero
// CHECK: qcc.div
func.func @division_by_zero() -> tensor<1xi64> {
  %a = qcc.constant dense<[7]> : tensor<1xi64>
  %b = qcc.constant dense<[0]> : tensor<1xi64>
  %r = qcc.div %a, %b : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %r : tensor<1xi64>
}

// -----

// CHECK-LABEL: func.func @compare_where_cast
// CHECK-DAG: qcc.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: qcc.constant dense<[10, -1, 30]> : tensor<3xi64>
// CHECK-DAG: qcc.constant dense<[1.000000e+00, -2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-DAG: qcc.constant dense<[2, -2, 0]> : tensor<3xi32>
func.func @compare_where_cast() -> (tensor<3xi1>, tensor<3xi64>, tensor<3xf32>, tensor<3xi32>) {
  %a = qcc.constant dense<[1, -2, 3]> : tensor<3xi64>
  %z = qcc.constant dense<0> : tensor<i64>
  %lt = qcc.less %a, %z : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %x = qcc.constant dense<[10, 20, 30]> : tensor<3xi64>
  %m1 = qcc.constant dense<-1> : tensor<i64>
  %w = qcc.where %lt, %m1, %x : (tensor<3xi1>, tensor<i64>, tensor<3xi64>) -> tensor<3xi64>
  %f = qcc.cast %a : tensor<3xi64> to tensor<3xf32>
  %g = qcc.constant dense<[2.7, -2.7, 0.5]> : tensor<3xf32>
  %t = qcc.cast %g : tensor<3xf32> to tensor<3xi32>
  return %lt, %w, %f, %t : tensor<3xi1>, tensor<3xi64>, tensor<3xf32>, tensor<3xi32>
}

// -----

// CHECK-LABEL: func.func @movement
// CHECK-DAG: qcc.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: qcc.constant dense<{{\[\[}}6.000000e+00, 4.000000e+00]]> : tensor<1x2xf32>
// CHECK-DAG: qcc.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00], [1.000000e+00, 2.000000e+00, 3.000000e+00]]> : tensor<2x3xf32>
// CHECK-NOT: qcc.transpose
// CHECK-NOT: qcc.slice
// CHECK-NOT: qcc.broadcast_to
func.func @movement() -> (tensor<3x2xf32>, tensor<1x2xf32>, tensor<2x3xf32>) {
  %m = qcc.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %t = qcc.transpose %m {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %s = qcc.slice %m {ends = array<i64: 2, -1>, starts = array<i64: 1, 2>, steps = array<i64: 1, -2>} : (tensor<2x3xf32>) -> tensor<1x2xf32>
  %row = qcc.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = qcc.broadcast_to %row : tensor<3xf32> -> tensor<2x3xf32>
  return %t, %s, %b : tensor<3x2xf32>, tensor<1x2xf32>, tensor<2x3xf32>
}

// -----

// Non-constant operands are not folded; identities are.
// CHECK-LABEL: func.func @identities
// CHECK-NOT: qcc.transpose
// CHECK-NOT: qcc.concat
// CHECK: qcc.add %arg0, %arg0
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %t = qcc.transpose %x {permutation = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = qcc.concat %t {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = qcc.add %c, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// Transposes of transposes compose into one; inverse pairs cancel.
// CHECK-LABEL: func.func @transpose_chains
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4x5xf32>)
// CHECK: %[[T:.*]] = qcc.transpose %[[X]] {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32>
// CHECK-NOT: qcc.transpose
// CHECK: return %[[T]], %[[X]]
func.func @transpose_chains(%x: tensor<2x3x4x5xf32>) -> (tensor<2x4x5x3xf32>, tensor<2x3x4x5xf32>) {
  // x -> (0,2,1,3) -> (0,1,3,2): dimension d of the result is x's
  // [0,2,1,3][[0,1,3,2][d]] = (0,2,3,1).
  %a = qcc.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x3x5xf32>
  %b = qcc.transpose %a {permutation = array<i64: 0, 1, 3, 2>} : (tensor<2x4x3x5xf32>) -> tensor<2x4x5x3xf32>
  // (1,2,0) then (2,0,1) is the identity on the last three dimensions.
  %c = qcc.transpose %x {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32>
  %d = qcc.transpose %c {permutation = array<i64: 0, 3, 1, 2>} : (tensor<2x4x5x3xf32>) -> tensor<2x3x4x5xf32>
  return %b, %d : tensor<2x4x5x3xf32>, tensor<2x3x4x5xf32>
}
