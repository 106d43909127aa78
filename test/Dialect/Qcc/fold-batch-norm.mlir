// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-fold-batch-norm))' --split-input-file | FileCheck %s

// k = scale / sqrt(var + eps) = [2/sqrt(16), 1/sqrt(4)] = [0.5, 0.5]
// W' = W * k = [1.0, 1.5];  b' = (b - mean) * k + beta = [0.5, -0.5]
// CHECK-LABEL: func.func @fold
// CHECK-DAG: %[[W:.*]] = qcc.constant dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}1.500000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = qcc.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = qcc.conv %arg0, %[[W]], %[[B]] {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
// CHECK-NOT: qcc.batch_norm
// CHECK: return %[[Y]]
func.func @fold(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qcc.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %b = qcc.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %scale = qcc.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = qcc.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = qcc.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = qcc.constant dense<[15.0, 3.0]> : tensor<2xf32>
  %y = qcc.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %z = qcc.batch_norm %y, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}

// -----

// Without a conv bias, b = 0: b' = -mean * k + beta = [-1 * 0.5 + 0.5, 0] = [0, 0].
// CHECK-LABEL: func.func @fold_no_bias
// CHECK-DAG: qcc.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NOT: qcc.batch_norm
func.func @fold_no_bias(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qcc.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %scale = qcc.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = qcc.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %mean = qcc.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = qcc.constant dense<[15.0, 3.0]> : tensor<2xf32>
  %y = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %z = qcc.batch_norm %y, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}

// -----

// The convolution has a second user: folding would change it.
// CHECK-LABEL: func.func @conv_two_users
// CHECK: qcc.conv
// CHECK: qcc.batch_norm
func.func @conv_two_users(%x: tensor<1x1x4x4xf32>, %p: tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = qcc.constant dense<1.0> : tensor<2x1x1x1xf32>
  %y = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = qcc.constant dense<1.0> : tensor<2xf32>
  %z = qcc.batch_norm %y, %s, %s, %s, %s : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y, %z : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Non-constant normalisation parameters cannot be folded.
// CHECK-LABEL: func.func @dynamic_params
// CHECK: qcc.batch_norm
func.func @dynamic_params(%x: tensor<1x1x4x4xf32>, %p: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  %w = qcc.constant dense<1.0> : tensor<2x1x1x1xf32>
  %y = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %z = qcc.batch_norm %y, %p, %p, %p, %p : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}

// -----

// A batch norm whose input is not a convolution stays.
// CHECK-LABEL: func.func @not_conv
// CHECK: qcc.batch_norm
func.func @not_conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %s = qcc.constant dense<1.0> : tensor<2xf32>
  %z = qcc.batch_norm %x, %s, %s, %s, %s : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}
