// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-recognize-attention))' --split-input-file | FileCheck %s

// ViT style: softmax(q @ k^T * scale) @ v.
// CHECK-LABEL: func.func @vit
// CHECK-NEXT: %[[A:.*]] = qcc.attention %arg0, %arg1, %arg2 {scale = 2.500000e-01 : f32} : (tensor<2x4x5x16xf32>, tensor<2x4x5x16xf32>, tensor<2x4x5x16xf32>) -> tensor<2x4x5x16xf32>
// CHECK-NEXT: return %[[A]]
func.func @vit(%q: tensor<2x4x5x16xf32>, %k: tensor<2x4x5x16xf32>, %v: tensor<2x4x5x16xf32>) -> tensor<2x4x5x16xf32> {
  %c = qcc.constant dense<0.25> : tensor<f32>
  %kt = qcc.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<2x4x5x16xf32>) -> tensor<2x4x16x5xf32>
  %s = qcc.matmul %q, %kt : (tensor<2x4x5x16xf32>, tensor<2x4x16x5xf32>) -> tensor<2x4x5x5xf32>
  %t = qcc.mul %s, %c : (tensor<2x4x5x5xf32>, tensor<f32>) -> tensor<2x4x5x5xf32>
  %p = qcc.softmax %t {axis = 3 : i64} : tensor<2x4x5x5xf32>
  %o = qcc.matmul %p, %v : (tensor<2x4x5x5xf32>, tensor<2x4x5x16xf32>) -> tensor<2x4x5x16xf32>
  return %o : tensor<2x4x5x16xf32>
}

// -----

// BERT style: scores / sqrt(d) + (1 - float(mask[:, None, None, :])) * -10000.
// CHECK-LABEL: func.func @bert
// CHECK-NEXT: %[[A:.*]] = qcc.attention %arg0, %arg1, %arg2 key_mask %arg3 {scale = 1.250000e-01 : f32} : (tensor<2x2x6x64xf32>, tensor<2x2x6x64xf32>, tensor<2x2x6x64xf32>, tensor<2x6xi64>) -> tensor<2x2x6x64xf32>
// CHECK-NEXT: return %[[A]]
func.func @bert(%q: tensor<2x2x6x64xf32>, %k: tensor<2x2x6x64xf32>, %v: tensor<2x2x6x64xf32>, %mask: tensor<2x6xi64>) -> tensor<2x2x6x64xf32> {
  %sqrtd = qcc.constant dense<8.0> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %neg = qcc.constant dense<-10000.0> : tensor<f32>
  %m4 = qcc.reshape %mask : tensor<2x6xi64> -> tensor<2x1x1x6xi64>
  %mf = qcc.cast %m4 : tensor<2x1x1x6xi64> to tensor<2x1x1x6xf32>
  %inv = qcc.sub %one, %mf : (tensor<f32>, tensor<2x1x1x6xf32>) -> tensor<2x1x1x6xf32>
  %ext = qcc.mul %inv, %neg : (tensor<2x1x1x6xf32>, tensor<f32>) -> tensor<2x1x1x6xf32>
  %kt = qcc.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<2x2x6x64xf32>) -> tensor<2x2x64x6xf32>
  %s = qcc.matmul %q, %kt : (tensor<2x2x6x64xf32>, tensor<2x2x64x6xf32>) -> tensor<2x2x6x6xf32>
  %t = qcc.div %s, %sqrtd : (tensor<2x2x6x6xf32>, tensor<f32>) -> tensor<2x2x6x6xf32>
  %a = qcc.add %t, %ext : (tensor<2x2x6x6xf32>, tensor<2x1x1x6xf32>) -> tensor<2x2x6x6xf32>
  %p = qcc.softmax %a {axis = 3 : i64} : tensor<2x2x6x6xf32>
  %o = qcc.matmul %p, %v : (tensor<2x2x6x6xf32>, tensor<2x2x6x64xf32>) -> tensor<2x2x6x64xf32>
  return %o : tensor<2x2x6x64xf32>
}

// -----

// Any other additive mask is kept as a bias; k^T not produced by a
// transpose gets one.
// CHECK-LABEL: func.func @bias_mask
// CHECK: %[[K:.*]] = qcc.transpose %arg1 {permutation = array<i64: 0, 2, 1>} : (tensor<3x8x5xf32>) -> tensor<3x5x8xf32>
// CHECK: qcc.attention %arg0, %[[K]], %arg2 bias %arg3 {scale = 1.000000e+00 : f32}
func.func @bias_mask(%q: tensor<3x5x8xf32>, %kt: tensor<3x8x5xf32>, %v: tensor<3x5x8xf32>, %m: tensor<5x5xf32>) -> tensor<3x5x8xf32> {
  %s = qcc.matmul %q, %kt : (tensor<3x5x8xf32>, tensor<3x8x5xf32>) -> tensor<3x5x5xf32>
  %a = qcc.add %m, %s : (tensor<5x5xf32>, tensor<3x5x5xf32>) -> tensor<3x5x5xf32>
  %p = qcc.softmax %a {axis = 2 : i64} : tensor<3x5x5xf32>
  %o = qcc.matmul %p, %v : (tensor<3x5x5xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  return %o : tensor<3x5x8xf32>
}

// -----

// Softmax over queries is not attention.
// CHECK-LABEL: func.func @wrong_axis
// CHECK-NOT: qcc.attention
func.func @wrong_axis(%q: tensor<3x5x8xf32>, %kt: tensor<3x8x5xf32>, %v: tensor<3x5x8xf32>) -> tensor<3x5x8xf32> {
  %s = qcc.matmul %q, %kt : (tensor<3x5x8xf32>, tensor<3x8x5xf32>) -> tensor<3x5x5xf32>
  %p = qcc.softmax %s {axis = 1 : i64} : tensor<3x5x5xf32>
  %o = qcc.matmul %p, %v : (tensor<3x5x5xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  return %o : tensor<3x5x8xf32>
}

// -----

// Attention probabilities with another user stay explicit.
// CHECK-LABEL: func.func @probabilities_used
// CHECK-NOT: qcc.attention
func.func @probabilities_used(%q: tensor<3x5x8xf32>, %kt: tensor<3x8x5xf32>, %v: tensor<3x5x8xf32>) -> (tensor<3x5x8xf32>, tensor<3x5x5xf32>) {
  %s = qcc.matmul %q, %kt : (tensor<3x5x8xf32>, tensor<3x8x5xf32>) -> tensor<3x5x5xf32>
  %p = qcc.softmax %s {axis = 2 : i64} : tensor<3x5x5xf32>
  %o = qcc.matmul %p, %v : (tensor<3x5x5xf32>, tensor<3x5x8xf32>) -> tensor<3x5x8xf32>
  return %o, %p : tensor<3x5x8xf32>, tensor<3x5x5xf32>
}
