// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-integerize))' --split-input-file | FileCheck %s
// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-integerize{io=int}))' --split-input-file | FileCheck %s --check-prefix=INT

// Expected integers are worked out by hand from the ranges (scales that are
// exact in f32, since the boundary quantize takes an f32 scale): x in
// [-15.875, 15.875] is i8 with scale 0.125; weight column 0 (max 1.0) has
// scale 1/127, column 1 (max 1.27) scale 0.01, so W = [[64, -127], [127, 64]]
// (0.5*127 = 63.5 rounds to 64); the bias at the accumulator scales 0.125/127
// and 0.00125 is [102, -160] (101.6 and -160); the ReLU output [0, 2.55] is
// ui8 with scale 0.01, so the requant ratios are 0.0984... = 1690932006 *
// 2^-34 and 0.125 * f32(1.27) / 1.27 = 0.99999998 * 2^-3 = 2147483616 * 2^-34
// (frexp, round half up; the weight constant is f32).

// CHECK-LABEL: func.func @dense_relu
// CHECK-SAME: (%[[X:.*]]: tensor<3x2xf32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[Q:.*]] = qcc.quantize %[[X]] {scales = array<f32: 1.250000e-01>, zero_points = array<i64: 0>} : tensor<3x2xf32> to tensor<3x2xi8>
// CHECK-DAG: %[[W:.*]] = qcc.constant dense<{{\[}}[64, -127], [127, 64]]> : tensor<2x2xi8>
// CHECK: %[[MM:.*]] = qcc.matmul %[[Q]], %[[W]] : (tensor<3x2xi8>, tensor<2x2xi8>) -> tensor<3x2xi32>
// CHECK: %[[B:.*]] = qcc.constant dense<[102, -160]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = qcc.add %[[MM]], %[[B]] : (tensor<3x2xi32>, tensor<2xi32>) -> tensor<3x2xi32>
// CHECK: %[[R:.*]] = qcc.requant %[[ACC]] {axis = 1 : i64, multiplier = array<i32: 1690932006, 2147483616>, shift = array<i32: 34, 34>} : tensor<3x2xi32> to tensor<3x2xui8>
// CHECK: %[[OUT:.*]] = qcc.dequantize %[[R]] {scales = array<f32: 0.00999999977>, zero_points = array<i64: 0>} : tensor<3x2xui8> to tensor<3x2xf32>
// CHECK: return %[[OUT]]

// With --io=int the interface is the integer tensors, scales as attributes.
// INT-LABEL: func.func @dense_relu
// INT-SAME: (%[[X:.*]]: tensor<3x2xi8> {qcc.scale = 1.250000e-01 : f64, qcc.zero_point = 0 : i64}) -> (tensor<3x2xui8> {qcc.scale = 0.0099{{.*}} : f64, qcc.zero_point = 0 : i64})
// INT-NOT: qcc.quantize
// INT: qcc.matmul %[[X]]
// INT-NOT: qcc.dequantize
func.func @dense_relu(%x: tensor<3x2xf32> {qcc.range = array<f64: -15.875, 15.875>}) -> tensor<3x2xf32> {
  %w = qcc.constant dense<[[0.5, -1.27], [1.0, 0.635]]> : tensor<2x2xf32>
  %b = qcc.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %m = qcc.matmul %x, %w {qcc.range = array<f64: -10.0, 10.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %a = qcc.add %m, %b {qcc.range = array<f64: -10.0, 10.0>} : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %r = qcc.relu %a {qcc.range = array<f64: 0.0, 2.55>} : tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// A residual add: each branch rescaled on its own to the sum's scale 0.0625
// (range [-7.9375, 7.9375]): 0.125/0.0625 = 2^30 * 2^-29, 0.25/0.0625 =
// 2^30 * 2^-28.
// CHECK-LABEL: func.func @residual
// CHECK: %[[A:.*]] = qcc.quantize %arg0 {{.*}} to tensor<4xi8>
// CHECK: %[[B:.*]] = qcc.quantize %arg1 {{.*}} to tensor<4xi8>
// CHECK: %[[S:.*]] = qcc.requant_add %[[A]], %[[B]] {lhs_multiplier = array<i32: 1073741824>, lhs_shift = array<i32: 29>, rhs_multiplier = array<i32: 1073741824>, rhs_shift = array<i32: 28>} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK: %[[R:.*]] = qcc.reshape %[[S]]
// CHECK: qcc.dequantize %[[R]] {scales = array<f32: 6.250000e-02>
func.func @residual(%a: tensor<4xf32> {qcc.range = array<f64: -15.875, 15.875>},
                    %b: tensor<4xf32> {qcc.range = array<f64: -31.75, 31.75>}) -> tensor<4xf32> {
  %s = qcc.add %a, %b {qcc.range = array<f64: -7.9375, 7.9375>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = qcc.reshape %s {qcc.range = array<f64: -7.9375, 7.9375>} : tensor<4xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A sum returned as a float output is rescaled to 16 bits (scale
// 7.9375 / 32767), not 8.
// CHECK-LABEL: func.func @sum_output
// CHECK: %[[S:.*]] = qcc.requant_add {{.*}} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi16>
// CHECK: qcc.dequantize %[[S]] {scales = array<f32: 2.4224{{[0-9]+}}E-4>
func.func @sum_output(%a: tensor<4xf32> {qcc.range = array<f64: -15.875, 15.875>},
                      %b: tensor<4xf32> {qcc.range = array<f64: -31.75, 31.75>}) -> tensor<4xf32> {
  %s = qcc.add %a, %b {qcc.range = array<f64: -7.9375, 7.9375>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// A subtraction negates the second branch's multiplier.
// CHECK-LABEL: func.func @difference
// CHECK: qcc.requant_add {{.*}} rhs_multiplier = array<i32: -1073741824>, rhs_shift = array<i32: 28>
func.func @difference(%a: tensor<4xf32> {qcc.range = array<f64: -15.875, 15.875>},
                      %b: tensor<4xf32> {qcc.range = array<f64: -31.75, 31.75>}) -> tensor<4xf32> {
  %s = qcc.sub %a, %b {qcc.range = array<f64: -7.9375, 7.9375>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = qcc.reshape %s {qcc.range = array<f64: -7.9375, 7.9375>} : tensor<4xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Global average pooling: an int32 sum, the division by 4 folded into the
// rescale (0.125 / 4) / 0.01 = 3.125 = 1677721600 * 2^-29.
// CHECK-LABEL: func.func @mean
// CHECK: %[[Q:.*]] = qcc.quantize
// CHECK: %[[C:.*]] = qcc.cast %[[Q]] : tensor<1x2x2x2xi8> to tensor<1x2x2x2xi32>
// CHECK: %[[S:.*]] = qcc.reduce_sum %[[C]] {axes = array<i64: 2, 3>} : (tensor<1x2x2x2xi32>) -> tensor<1x2x1x1xi32>
// CHECK: qcc.requant %[[S]] {multiplier = array<i32: 1677721600>, shift = array<i32: 29>} : tensor<1x2x1x1xi32> to tensor<1x2x1x1xi8>
func.func @mean(%x: tensor<1x2x2x2xf32> {qcc.range = array<f64: -15.875, 15.875>}) -> tensor<1x2x1x1xf32> {
  %m = qcc.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = true, qcc.range = array<f64: -1.27, 1.27>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
  %r = qcc.reshape %m {qcc.range = array<f64: -1.27, 1.27>} : tensor<1x2x1x1xf32> -> tensor<1x2x1x1xf32>
  return %r : tensor<1x2x1x1xf32>
}

// -----

// LayerNorm: the input rescaled to 22 bits (saturated), the integer
// epsilon 1e-5 * 4 / (4/(2^21-1))^2 rounded, gamma and beta at the output.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[X:.*]] = qcc.requant %{{.*}} {max = 2097151 : i64, min = -2097151 : i64, multiplier = array<i32: {{[0-9]+}}>, shift = array<i32: {{[0-9]+}}>} : tensor<2x4xi8> to tensor<2x4xi32>
// CHECK: qcc.int_layer_norm %[[X]] {bias = array<i32: 0, 13, -13, 64>, multiplier = array<i32: {{[0-9]+}}, {{[0-9]+}}, {{-[0-9]+}}, {{[0-9]+}}>, shift = array<i32: {{.*}}>, var_offset = 10995106 : i64, var_shift = 0 : i32} : tensor<2x4xi32> to tensor<2x4xi8>
func.func @layer_norm(%x: tensor<2x4xf32> {qcc.range = array<f64: -4.0, 4.0>}) -> tensor<2x4xf32> {
  %g = qcc.constant dense<[1.0, 2.0, -1.0, 0.5]> : tensor<4xf32>
  %b = qcc.constant dense<[0.0, 0.1, -0.1, 0.5]> : tensor<4xf32>
  %y = qcc.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32, qcc.range = array<f64: -0.99, 0.99>} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Attention: int32 scores q k^T, integer softmax with the key mask, u8
// probabilities times v; output dequantized from int32 at scale 2^-8 * s_v.
// The boundary quantize can give -128, so |scores| <= 4 * 128 * 128 = 2^16:
// 18 signed bits.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: %[[MASK:[a-z0-9]+]]: tensor<1x3xi64>
// CHECK: %[[KT:.*]] = qcc.transpose %{{.*}} {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x2x3x4xi8>) -> tensor<1x2x4x3xi8>
// CHECK: %[[S:.*]] = qcc.matmul %{{.*}}, %[[KT]] : (tensor<1x2x3x4xi8>, tensor<1x2x4x3xi8>) -> tensor<1x2x3x3xi32>
// CHECK: %[[P:.*]] = qcc.int_softmax %[[S]] key_mask %[[MASK]] : tensor<1x3xi64> {{{.*}}input_bits = 18 : i32{{.*}}} : tensor<1x2x3x3xi32> to tensor<1x2x3x3xui8>
// CHECK: %[[O:.*]] = qcc.matmul %[[P]], %{{.*}} : (tensor<1x2x3x3xui8>, tensor<1x2x3x4xi8>) -> tensor<1x2x3x4xi32>
// CHECK: qcc.dequantize %[[O]] {scales = array<f32: 3.906250e-03>
func.func @attention(%q: tensor<1x2x3x4xf32> {qcc.range = array<f64: -1.27, 1.27>},
                     %k: tensor<1x2x3x4xf32> {qcc.range = array<f64: -1.27, 1.27>},
                     %v: tensor<1x2x3x4xf32> {qcc.range = array<f64: -127.0, 127.0>},
                     %m: tensor<1x3xi64>) -> tensor<1x2x3x4xf32> {
  %a = qcc.attention %q, %k, %v key_mask %m {scale = 0.5 : f32, qcc.range = array<f64: -1.0, 1.0>} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x3xi64>) -> tensor<1x2x3x4xf32>
  return %a : tensor<1x2x3x4xf32>
}

// -----

// A QDQ model keeps its scales: the weight's integers and per-channel scales
// are used as given, the activation's quantize becomes a requant to its
// scale (the range of the matmul comes from that quantize, no calibration).
// CHECK-LABEL: func.func @qdq
// CHECK: %[[X:.*]] = qcc.quantize %arg0 {scales = array<f32: 5.000000e-01>
// CHECK: %[[MM:.*]] = qcc.matmul %[[X]], %[[W:.*]] : (tensor<2x2xi8>, tensor<2x2xi8>) -> tensor<2x2xi32>
// CHECK: %[[R:.*]] = qcc.requant %[[MM]] {axis = 1 : i64, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 32, 31>} : tensor<2x2xi32> to tensor<2x2xi8>
// CHECK: qcc.dequantize %[[R]] {scales = array<f32: 2.500000e-01>
func.func @qdq(%x: tensor<2x2xf32> {qcc.range = array<f64: -63.5, 63.5>}) -> tensor<2x2xf32> {
  %wq = qcc.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = qcc.dequantize %wq {axis = 1 : i64, scales = array<f32: 0.125, 0.25>, zero_points = array<i64: 0, 0>} : tensor<2x2xi8> to tensor<2x2xf32>
  %m = qcc.matmul %x, %w : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = qcc.quantize %m {scales = array<f32: 0.25>, zero_points = array<i64: 0>} : tensor<2x2xf32> to tensor<2x2xi8>
  %d = qcc.dequantize %q {scales = array<f32: 0.25>, zero_points = array<i64: 0>} : tensor<2x2xi8> to tensor<2x2xf32>
  return %d : tensor<2x2xf32>
}

// -----

// Sigmoid of an 8-bit input: a table of 256 correctly rounded values at the
// ui8 output scale 1/255 (input scale 0.1: sigmoid(-12.8) rounds to 0,
// sigmoid(0) = 0.5 -> 127.5 -> 128, sigmoid(12.7) rounds to 255).
// CHECK-LABEL: func.func @sigmoid
// CHECK: qcc.lookup %{{.*}} {table = array<i32: 0, 0, {{.*}}, 128, {{.*}}, 255, 255>} : tensor<4xi8> to tensor<4xui8>
func.func @sigmoid(%x: tensor<4xf32> {qcc.range = array<f64: -12.7, 12.7>}) -> tensor<4xf32> {
  %s = qcc.sigmoid %x {qcc.range = array<f64: 0.0, 1.0>} : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// GELU: the input is rescaled to the finest width (<= 16 bits) whose i-GELU
// result still has a representable output rescale (the result carries ~25
// more bits than the input), here 14 bits (scale 8/8191, clip = 2562);
// never a flushed (zero) multiplier.
// CHECK-LABEL: func.func @gelu
// CHECK: %[[X:.*]] = qcc.requant %{{.*}} : tensor<8xi8> to tensor<8xi16>
// CHECK: qcc.int_gelu %[[X]] {clip = 2562 : i64, {{.*}}output_multiplier = {{[1-9][0-9]*}} : i32{{.*}}} : tensor<8xi16> to tensor<8xi8>
func.func @gelu(%x: tensor<8xf32> {qcc.range = array<f64: -8.0, 8.0>}) -> tensor<8xf32> {
  %g = qcc.gelu %x {qcc.range = array<f64: -0.2, 8.0>} : tensor<8xf32>
  return %g : tensor<8xf32>
}

// -----

// A Gemm with transB = 1 in a QDQ model: transpose(dequantize(W)) is still a
// weight (the transposed integers, the per-axis scales' axis permuted), and
// an int32 bias given by the model (dequantize of an i32 constant) is added
// at the accumulator scale; constants left unused are removed. The output
// quantize at the model's scale 0.25 is reused as is, no identity rescale.
// CHECK-LABEL: func.func @qdq_gemm
// CHECK-DAG: %[[W:.*]] = qcc.constant dense<{{\[}}[1, 3], [2, 4]]> : tensor<2x2xi8>
// CHECK-DAG: %[[X:.*]] = qcc.quantize %arg0 {scales = array<f32: 5.000000e-01>
// CHECK: %[[MM:.*]] = qcc.matmul %[[X]], %[[W]] : (tensor<2x2xi8>, tensor<2x2xi8>) -> tensor<2x2xi32>
// CHECK: %[[B:.*]] = qcc.constant dense<[16, -8]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = qcc.add %[[MM]], %[[B]]
// CHECK: %[[R:.*]] = qcc.requant %[[ACC]] {axis = 1 : i64, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 32, 31>} : tensor<2x2xi32> to tensor<2x2xi8>
// CHECK-NEXT: qcc.dequantize %[[R]]
// CHECK-NOT: qcc.transpose
func.func @qdq_gemm(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %xq = qcc.quantize %x {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<2x2xf32> to tensor<2x2xi8>
  %xd = qcc.dequantize %xq {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<2x2xi8> to tensor<2x2xf32>
  %wq = qcc.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = qcc.dequantize %wq {axis = 0 : i64, scales = array<f32: 0.125, 0.25>, zero_points = array<i64: 0, 0>} : tensor<2x2xi8> to tensor<2x2xf32>
  %wt = qcc.transpose %w {permutation = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %bq = qcc.constant dense<[16, -8]> : tensor<2xi32>
  %b = qcc.dequantize %bq {axis = 0 : i64, scales = array<f32: 0.0625, 0.125>, zero_points = array<i64: 0, 0>} : tensor<2xi32> to tensor<2xf32>
  %m = qcc.matmul %xd, %wt : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %a = qcc.add %m, %b : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %q = qcc.quantize %a {scales = array<f32: 0.25>, zero_points = array<i64: 0>} : tensor<2x2xf32> to tensor<2x2xi8>
  %d = qcc.dequantize %q {scales = array<f32: 0.25>, zero_points = array<i64: 0>} : tensor<2x2xi8> to tensor<2x2xf32>
  return %d : tensor<2x2xf32>
}

// -----

// qcc.weight_bits = 4 (bit allocation's choice): weights per column at
// scale max|w| / 7 -- column 0 (max 0.7) at 0.1, column 1 (max 1.4) at 0.2,
// so W = [[3, -7], [7, 3]] -- and the integer matmul keeps the mark, which
// tells backends the weights fit 4 bits.
// CHECK-LABEL: func.func @weights_4bit
// CHECK-DAG: %[[W:.*]] = qcc.constant dense<{{\[}}[3, -7], [7, 3]]> : tensor<2x2xi8>
// CHECK: qcc.matmul %{{.*}}, %[[W]] {qcc.weight_bits = 4 : i64} : (tensor<3x2xi8>, tensor<2x2xi8>) -> tensor<3x2xi32>
func.func @weights_4bit(%x: tensor<3x2xf32> {qcc.range = array<f64: -15.875, 15.875>}) -> tensor<3x2xf32> {
  %w = qcc.constant dense<[[0.3, -1.4], [0.7, 0.6]]> : tensor<2x2xf32>
  %m = qcc.matmul %x, %w {qcc.range = array<f64: -10.0, 10.0>, qcc.weight_bits = 4 : i64} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %m : tensor<3x2xf32>
}

// -----

// qcc.activation_bits = 4: the matmul's input is requantized into the
// signed 4-bit range (i8 storage, clamped to [-8, 7]) and feeds the matmul.
// CHECK-LABEL: func.func @activations_4bit
// CHECK: %[[Q:.*]] = qcc.quantize
// CHECK: %[[A4:.*]] = qcc.requant %[[Q]] {max = 7 : i64, min = -8 : i64, {{.*}}} : tensor<3x2xi8> to tensor<3x2xi8>
// CHECK: qcc.matmul %[[A4]], %{{.*}} : (tensor<3x2xi8>, tensor<2x2xi8>) -> tensor<3x2xi32>
func.func @activations_4bit(%x: tensor<3x2xf32> {qcc.range = array<f64: -15.875, 15.875>}) -> tensor<3x2xf32> {
  %w = qcc.constant dense<[[0.3, -1.4], [0.7, 0.6]]> : tensor<2x2xf32>
  %m = qcc.matmul %x, %w {qcc.range = array<f64: -10.0, 10.0>, qcc.activation_bits = 4 : i64} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %m : tensor<3x2xf32>
}

// -----

// With a 4-bit range from calibration (qcc.range4, the MSE clip at 4 bits)
// the 4-bit activations use it: scale 7 / 7 = 1 instead of 15.875 / 7, so
// the requant from the 8-bit input (scale 15.875 / 127 = 1/8) multiplies
// by exactly 1/8 (2^30 * 2^-33).
// CHECK-LABEL: func.func @activations_4bit_range4
// CHECK: %[[Q:.*]] = qcc.quantize
// CHECK: %[[A4:.*]] = qcc.requant %[[Q]] {max = 7 : i64, min = -8 : i64, multiplier = array<i32: 1073741824>, {{.*}}shift = array<i32: 33>} : tensor<3x2xi8> to tensor<3x2xi8>
// CHECK: qcc.matmul %[[A4]], %{{.*}} : (tensor<3x2xi8>, tensor<2x2xi8>) -> tensor<3x2xi32>
// CHECK-NOT: qcc.range4
func.func @activations_4bit_range4(%x: tensor<3x2xf32> {qcc.range = array<f64: -15.875, 15.875>, qcc.range4 = array<f64: -7.0, 7.0>}) -> tensor<3x2xf32> {
  %w = qcc.constant dense<[[0.3, -1.4], [0.7, 0.6]]> : tensor<2x2xf32>
  %m = qcc.matmul %x, %w {qcc.range = array<f64: -10.0, 10.0>, qcc.activation_bits = 4 : i64} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %m : tensor<3x2xf32>
}
