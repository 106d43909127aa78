// RUN: qcc-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @reshape_identity
// CHECK-NEXT: return %arg0
func.func @reshape_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qcc.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_chain
// CHECK-NEXT: %[[R:.*]] = qcc.reshape %arg0 : tensor<2x3x4xf32> -> tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = qcc.reshape %x : tensor<2x3x4xf32> -> tensor<24xf32>
  %1 = qcc.reshape %0 : tensor<24xf32> -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_constant
// CHECK-NEXT: %[[C:.*]] = qcc.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant() -> tensor<2x2xi64> {
  %0 = qcc.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %1 = qcc.reshape %0 : tensor<4xi64> -> tensor<2x2xi64>
  return %1 : tensor<2x2xi64>
}

// -----

// Dead pure ops disappear.
// CHECK-LABEL: func.func @dead_code
// CHECK-NOT: qcc.
// CHECK: return %arg0
func.func @dead_code(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qcc.exp %x : tensor<4xf32>
  %1 = qcc.constant dense<1.0> : tensor<4xf32>
  return %x : tensor<4xf32>
}
