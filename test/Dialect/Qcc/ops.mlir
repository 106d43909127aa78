// Round trip of every qcc op: print, re-parse, print again, and check the
// custom assembly form.
// RUN: qcc-opt %s | qcc-opt | FileCheck %s
// Generic form round trip too.
// RUN: qcc-opt %s --mlir-print-op-generic | qcc-opt | FileCheck %s

// CHECK-LABEL: func.func @constant
func.func @constant() -> tensor<2x2xf32> {
  // CHECK: qcc.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  %0 = qcc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // CHECK: qcc.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = qcc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qcc.sub
  %1 = qcc.sub %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qcc.mul
  %2 = qcc.mul %1, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: qcc.div
  %3 = qcc.div %2, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: qcc.pow
  %4 = qcc.pow %3, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %4 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @integer_binary
func.func @integer_binary(%a: tensor<4xi64>, %b: tensor<i64>) -> tensor<4xi64> {
  // CHECK: qcc.add %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  %0 = qcc.add %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// CHECK-LABEL: func.func @compare_where
func.func @compare_where(%a: tensor<2x4xf32>, %b: tensor<1x4xf32>, %c: tensor<f32>) -> tensor<2x4xf32> {
  // CHECK: qcc.equal %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xi1>
  %0 = qcc.equal %a, %b : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xi1>
  // CHECK: qcc.less
  %1 = qcc.less %a, %b : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xi1>
  // CHECK: qcc.greater
  %2 = qcc.greater %a, %b : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xi1>
  // CHECK: qcc.not %{{.*}} : tensor<2x4xi1>
  %3 = qcc.not %2 : tensor<2x4xi1>
  // CHECK: qcc.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4xi1>, tensor<1x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %4 = qcc.where %3, %b, %c : (tensor<2x4xi1>, tensor<1x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: qcc.sqrt %{{.*}} : tensor<4x8xf32>
  %0 = qcc.sqrt %x : tensor<4x8xf32>
  // CHECK: qcc.exp
  %1 = qcc.exp %0 : tensor<4x8xf32>
  // CHECK: qcc.erf
  %2 = qcc.erf %1 : tensor<4x8xf32>
  // CHECK: qcc.tanh
  %3 = qcc.tanh %2 : tensor<4x8xf32>
  // CHECK: qcc.sigmoid
  %4 = qcc.sigmoid %3 : tensor<4x8xf32>
  // CHECK: qcc.neg
  %5 = qcc.neg %4 : tensor<4x8xf32>
  // CHECK: qcc.abs
  %6 = qcc.abs %5 : tensor<4x8xf32>
  // CHECK: qcc.relu
  %7 = qcc.relu %6 : tensor<4x8xf32>
  // CHECK: qcc.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<4x8xf32>
  %8 = qcc.leaky_relu %7 {alpha = 0.1 : f32} : tensor<4x8xf32>
  // CHECK: qcc.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : tensor<4x8xf32>
  %9 = qcc.clip %8 {max = 6.0 : f32, min = 0.0 : f32} : tensor<4x8xf32>
  // CHECK: qcc.clip %{{.*}} {min = 1.000000e+00 : f32} : tensor<4x8xf32>
  %10 = qcc.clip %9 {min = 1.0 : f32} : tensor<4x8xf32>
  // CHECK: qcc.gelu %{{.*}} : tensor<4x8xf32>
  %11 = qcc.gelu %10 : tensor<4x8xf32>
  // CHECK: qcc.gelu %{{.*}} {approximate = #qcc.gelu_approximation<tanh>} : tensor<4x8xf32>
  %12 = qcc.gelu %11 {approximate = #qcc.gelu_approximation<tanh>} : tensor<4x8xf32>
  return %12 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @cast
func.func @cast(%x: tensor<4xf32>) -> tensor<4xi64> {
  // CHECK: qcc.cast %{{.*}} : tensor<4xf32> to tensor<4xi64>
  %0 = qcc.cast %x : tensor<4xf32> to tensor<4xi64>
  return %0 : tensor<4xi64>
}

// CHECK-LABEL: func.func @normalisation
func.func @normalisation(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>,
                         %img: tensor<1x3x4x4xf32>, %p: tensor<3xf32>) -> (tensor<2x4x8xf32>, tensor<1x3x4x4xf32>) {
  // CHECK: qcc.softmax %{{.*}} {axis = 2 : i64} : tensor<2x4x8xf32>
  %0 = qcc.softmax %x {axis = 2 : i64} : tensor<2x4x8xf32>
  // CHECK: qcc.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 1.000000e-03 : f32} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %1 = qcc.layer_norm %0, %g, %b {axis = 2 : i64, epsilon = 1.0e-03 : f32} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  // CHECK: qcc.layer_norm %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %2 = qcc.layer_norm %1, %g {axis = 2 : i64} : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  // CHECK: qcc.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32}
  %3 = qcc.batch_norm %img, %p, %p, %p, %p {epsilon = 1.0e-03 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  return %2, %3 : tensor<2x4x8xf32>, tensor<1x3x4x4xf32>
}

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>,
                  %a: tensor<2x1x3x4xf32>, %m: tensor<5x4x6xf32>) -> (tensor<1x6x4x4xf32>, tensor<2x5x3x6xf32>) {
  // CHECK: qcc.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  %0 = qcc.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  // CHECK: qcc.matmul %{{.*}}, %{{.*}} : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  %1 = qcc.matmul %a, %m : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  return %0, %1 : tensor<1x6x4x4xf32>, tensor<2x5x3x6xf32>
}

// CHECK-LABEL: func.func @integer_linear
func.func @integer_linear(%x: tensor<1x3x4x4xi8>, %w: tensor<2x3x3x3xi8>, %a: tensor<3x4xui8>, %b: tensor<4x5xi8>) -> (tensor<1x2x2x2xi32>, tensor<3x5xi32>) {
  // CHECK: qcc.conv %{{.*}}, %{{.*}} {{.*}} : (tensor<1x3x4x4xi8>, tensor<2x3x3x3xi8>) -> tensor<1x2x2x2xi32>
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4xi8>, tensor<2x3x3x3xi8>) -> tensor<1x2x2x2xi32>
  // CHECK: qcc.matmul %{{.*}}, %{{.*}} : (tensor<3x4xui8>, tensor<4x5xi8>) -> tensor<3x5xi32>
  %1 = qcc.matmul %a, %b : (tensor<3x4xui8>, tensor<4x5xi8>) -> tensor<3x5xi32>
  return %0, %1 : tensor<1x2x2x2xi32>, tensor<3x5xi32>
}

// CHECK-LABEL: func.func @pooling_and_reductions
func.func @pooling_and_reductions(%x: tensor<1x4x8x8xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32>, tensor<1x4xf32>, tensor<4x8x8xf32>) {
  // CHECK: qcc.max_pool %{{.*}} {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %0 = qcc.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: qcc.avg_pool %{{.*}} {count_include_pad = true, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %1 = qcc.avg_pool %x {count_include_pad = true, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: qcc.reduce_mean %{{.*}} {axes = array<i64: 2, 3>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  %2 = qcc.reduce_mean %x {axes = array<i64: 2, 3>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  // CHECK: qcc.reduce_sum %{{.*}} {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4xf32>
  %3 = qcc.reduce_sum %x {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4xf32>
  // CHECK: qcc.reduce_max %{{.*}} {axes = array<i64: 0>, keepdims = false} : (tensor<1x4x8x8xf32>) -> tensor<4x8x8xf32>
  %4 = qcc.reduce_max %x {axes = array<i64: 0>, keepdims = false} : (tensor<1x4x8x8xf32>) -> tensor<4x8x8xf32>
  return %0, %1, %2, %3, %4 : tensor<1x4x4x4xf32>, tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32>, tensor<1x4xf32>, tensor<4x8x8xf32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>, %ids: tensor<8x2xi64>) -> (tensor<6x4xf32>, tensor<2x4x3xf32>, tensor<2x8x4xf32>, tensor<1x3x2xf32>, tensor<8x2x3x4xf32>, tensor<2x6x4xf32>, tensor<3x2x3x4xf32>) {
  // CHECK: qcc.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = qcc.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: qcc.transpose %{{.*}} {permutation = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %1 = qcc.transpose %x {permutation = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  // CHECK: qcc.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  %2 = qcc.concat %x, %y {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: qcc.slice %{{.*}} {ends = array<i64: 2, 3, -1>, starts = array<i64: 1, 0, 3>, steps = array<i64: 1, 1, -2>} : (tensor<2x3x4xf32>) -> tensor<1x3x2xf32>
  %3 = qcc.slice %x {ends = array<i64: 2, 3, -1>, starts = array<i64: 1, 0, 3>, steps = array<i64: 1, 1, -2>} : (tensor<2x3x4xf32>) -> tensor<1x3x2xf32>
  // CHECK: qcc.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<2x3x4xf32>, tensor<8x2xi64>) -> tensor<8x2x3x4xf32>
  %4 = qcc.gather %x, %ids {axis = 0 : i64} : (tensor<2x3x4xf32>, tensor<8x2xi64>) -> tensor<8x2x3x4xf32>
  // CHECK: qcc.pad %{{.*}} {mode = #qcc.pad_mode<reflect>, pads = array<i64: 0, 1, 0, 0, 2, 0>, value = 0.000000e+00 : f32} : (tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  %5 = qcc.pad %x {mode = #qcc.pad_mode<reflect>, pads = array<i64: 0, 1, 0, 0, 2, 0>, value = 0.0 : f32} : (tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: qcc.broadcast_to %{{.*}} : tensor<2x3x4xf32> -> tensor<3x2x3x4xf32>
  %6 = qcc.broadcast_to %x : tensor<2x3x4xf32> -> tensor<3x2x3x4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<6x4xf32>, tensor<2x4x3xf32>, tensor<2x8x4xf32>, tensor<1x3x2xf32>, tensor<8x2x3x4xf32>, tensor<2x6x4xf32>, tensor<3x2x3x4xf32>
}

// CHECK-LABEL: func.func @quantization
func.func @quantization(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  // CHECK: qcc.quantize %{{.*}} {scales = array<f32: 5.000000e-01>, zero_points = array<i64: 0>} : tensor<2x4xf32> to tensor<2x4xi8>
  %0 = qcc.quantize %x {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<2x4xf32> to tensor<2x4xi8>
  // CHECK: qcc.dequantize %{{.*}} {scales = array<f32: 5.000000e-01>, zero_points = array<i64: 0>} : tensor<2x4xi8> to tensor<2x4xf32>
  %1 = qcc.dequantize %0 {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<2x4xi8> to tensor<2x4xf32>
  // CHECK: qcc.quantize %{{.*}} {axis = 1 : i64, scales = array<f32: 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00>, zero_points = array<i64: 0, 10, 128, 255>} : tensor<2x4xf32> to tensor<2x4xui8>
  %2 = qcc.quantize %x {axis = 1 : i64, scales = array<f32: 1.0, 2.0, 3.0, 4.0>, zero_points = array<i64: 0, 10, 128, 255>} : tensor<2x4xf32> to tensor<2x4xui8>
  // CHECK: qcc.dequantize %{{.*}} {axis = 1 : i64
  %3 = qcc.dequantize %2 {axis = 1 : i64, scales = array<f32: 1.0, 2.0, 3.0, 4.0>, zero_points = array<i64: 0, 10, 128, 255>} : tensor<2x4xui8> to tensor<2x4xf32>
  return %1, %3 : tensor<2x4xf32>, tensor<2x4xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<2x4x16x8xf32>, %k: tensor<2x4x16x8xf32>, %v: tensor<2x4x16x8xf32>,
                     %b: tensor<1x1x16x16xf32>, %m: tensor<2x16xi64>) -> (tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>) {
  // CHECK: qcc.attention %{{.*}}, %{{.*}}, %{{.*}} key_mask %{{.*}} {scale = 1.250000e-01 : f32} : (tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x16xi64>) -> tensor<2x4x16x8xf32>
  %0 = qcc.attention %q, %k, %v key_mask %m {scale = 0.125 : f32} : (tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x16xi64>) -> tensor<2x4x16x8xf32>
  // CHECK: qcc.attention %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} {mask_value = -1.000000e+09 : f32, scale = 1.000000e+00 : f32}
  %1 = qcc.attention %q, %k, %v bias %b {mask_value = -1.0e+09 : f32, scale = 1.0 : f32} : (tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<1x1x16x16xf32>) -> tensor<2x4x16x8xf32>
  return %0, %1 : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>
}
