// The prepare pipeline as qcc-opt registers it; qcc runs the same builder.
// RUN: qcc-opt %s --qcc-prepare-pipeline | FileCheck %s
// RUN: qcc-opt %s --qcc-prepare-pipeline=fold-batch-norm=false | FileCheck %s --check-prefix=NOFOLD
// RUN: qcc %s --emit=mlir --precision=fp32 | FileCheck %s

// CHECK-LABEL: func.func @conv_bn_relu
// CHECK: %[[Y:.*]] = qcc.conv
// CHECK-NOT: qcc.batch_norm
// CHECK-NOT: qcc.exp
// CHECK: %[[R:.*]] = qcc.relu %[[Y]]
// CHECK: return %[[R]]
// NOFOLD-LABEL: func.func @conv_bn_relu
// NOFOLD: qcc.batch_norm
func.func @conv_bn_relu(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qcc.constant dense<[[[[2.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %s = qcc.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %flat = qcc.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %p = qcc.reshape %flat : tensor<1x2xf32> -> tensor<2xf32>
  %y = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %z = qcc.batch_norm %y, %s, %p, %p, %s : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %dead = qcc.exp %z : tensor<1x2x4x4xf32>
  %r = qcc.relu %z : tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// The recognisers run in the pipeline too.
// CHECK-LABEL: func.func @transformer_block
// CHECK: %[[LN:.*]] = qcc.layer_norm %arg0
// CHECK: %[[G:.*]] = qcc.gelu %[[LN]] : tensor<2x4x8xf32>
// CHECK: qcc.attention %[[G]], %[[G]], %[[G]] {scale = 5.000000e-01 : f32}
// NOFOLD-LABEL: func.func @transformer_block
// NOFOLD: qcc.layer_norm
func.func @transformer_block(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %two = qcc.constant dense<2.0> : tensor<f32>
  %eps = qcc.constant dense<1.0e-5> : tensor<f32>
  %m = qcc.reduce_mean %x {axes = array<i64: 2>} : (tensor<2x4x8xf32>) -> tensor<2x4x1xf32>
  %d = qcc.sub %x, %m : (tensor<2x4x8xf32>, tensor<2x4x1xf32>) -> tensor<2x4x8xf32>
  %p = qcc.pow %d, %two : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %v = qcc.reduce_mean %p {axes = array<i64: 2>} : (tensor<2x4x8xf32>) -> tensor<2x4x1xf32>
  %e = qcc.add %v, %eps : (tensor<2x4x1xf32>, tensor<f32>) -> tensor<2x4x1xf32>
  %s = qcc.sqrt %e : tensor<2x4x1xf32>
  %ln = qcc.div %d, %s : (tensor<2x4x8xf32>, tensor<2x4x1xf32>) -> tensor<2x4x8xf32>
  %sqrt2 = qcc.constant dense<1.41421354> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %half = qcc.constant dense<0.5> : tensor<f32>
  %a = qcc.div %ln, %sqrt2 : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %erf = qcc.erf %a : tensor<2x4x8xf32>
  %b = qcc.add %erf, %one : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %c = qcc.mul %ln, %b : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %g = qcc.mul %c, %half : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %kt = qcc.transpose %g {permutation = array<i64: 0, 2, 1>} : (tensor<2x4x8xf32>) -> tensor<2x8x4xf32>
  %sc = qcc.matmul %g, %kt : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %scaled = qcc.mul %sc, %half : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %pr = qcc.softmax %scaled {axis = 2 : i64} : tensor<2x4x4xf32>
  %o = qcc.matmul %pr, %g : (tensor<2x4x4xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}
