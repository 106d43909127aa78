// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-recognize-layer-norm))' --split-input-file | FileCheck %s

// The PyTorch opset-13 expansion, with gamma and beta (epsilon 1e-5 is the
// default and not printed).
// CHECK-LABEL: func.func @torch_layer_norm
// CHECK-DAG: %[[G:.*]] = qcc.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[B:.*]] = qcc.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK: %[[LN:.*]] = qcc.layer_norm %arg0, %[[G]], %[[B]] {axis = 2 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[LN]]
func.func @torch_layer_norm(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %two = qcc.constant dense<2.0> : tensor<f32>
  %eps = qcc.constant dense<1.0e-5> : tensor<f32>
  %gamma = qcc.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %beta = qcc.constant dense<0.5> : tensor<4xf32>
  %m = qcc.reduce_mean %x {axes = array<i64: 2>} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  %d = qcc.sub %x, %m : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %p = qcc.pow %d, %two : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %v = qcc.reduce_mean %p {axes = array<i64: 2>} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  %e = qcc.add %v, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %s = qcc.sqrt %e : tensor<2x3x1xf32>
  %n = qcc.div %d, %s : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %g = qcc.mul %n, %gamma : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %y = qcc.add %g, %beta : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// d * d for the square, normalisation over two trailing axes, no affine.
// CHECK-LABEL: func.func @two_axes
// CHECK: %[[ONES:.*]] = qcc.constant dense<1.000000e+00> : tensor<3x4xf32>
// CHECK: qcc.layer_norm %arg0, %[[ONES]] {axis = 1 : i64, epsilon = 1.000000e-03 : f32}
func.func @two_axes(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %eps = qcc.constant dense<1.0e-3> : tensor<f32>
  %m = qcc.reduce_mean %x {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %d = qcc.sub %x, %m : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %p = qcc.mul %d, %d : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %v = qcc.reduce_mean %p {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %e = qcc.add %eps, %v : (tensor<f32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %s = qcc.sqrt %e : tensor<2x1x1xf32>
  %n = qcc.div %d, %s : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  return %n : tensor<2x3x4xf32>
}

// -----

// Statistics over a leading axis are not a layer norm.
// CHECK-LABEL: func.func @leading_axis
// CHECK-NOT: qcc.layer_norm
func.func @leading_axis(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %two = qcc.constant dense<2.0> : tensor<f32>
  %eps = qcc.constant dense<1.0e-5> : tensor<f32>
  %m = qcc.reduce_mean %x {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  %d = qcc.sub %x, %m : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x3x4xf32>
  %p = qcc.pow %d, %two : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %v = qcc.reduce_mean %p {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  %e = qcc.add %v, %eps : (tensor<2x1x4xf32>, tensor<f32>) -> tensor<2x1x4xf32>
  %s = qcc.sqrt %e : tensor<2x1x4xf32>
  %n = qcc.div %d, %s : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x3x4xf32>
  return %n : tensor<2x3x4xf32>
}

// -----

// A square of something else than x - mean(x) is not a variance.
// CHECK-LABEL: func.func @wrong_variance
// CHECK-NOT: qcc.layer_norm
func.func @wrong_variance(%x: tensor<2x4xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %two = qcc.constant dense<2.0> : tensor<f32>
  %eps = qcc.constant dense<1.0e-5> : tensor<f32>
  %m = qcc.reduce_mean %x {axes = array<i64: 1>} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %d = qcc.sub %x, %m : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %p = qcc.pow %y, %two : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %v = qcc.reduce_mean %p {axes = array<i64: 1>} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %e = qcc.add %v, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = qcc.sqrt %e : tensor<2x1xf32>
  %n = qcc.div %d, %s : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %n : tensor<2x4xf32>
}
