// The prepare pipeline as qcc-opt registers it; qcc runs the same builder.
// RUN: qcc-opt %s --qcc-prepare-pipeline | FileCheck %s
// RUN: qcc-opt %s --qcc-prepare-pipeline=fold-batch-norm=false | FileCheck %s --check-prefix=NOFOLD
// RUN: qcc %s --emit=mlir | FileCheck %s

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
