// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-verify-integer-only))' --split-input-file --verify-diagnostics --allow-unregistered-dialect | FileCheck %s

// An integer-only function passes unchanged.
// CHECK-LABEL: func.func @integer_only
// CHECK: qcc.matmul
func.func @integer_only(%a: tensor<2x3xi8>, %b: tensor<3x4xi8>) -> tensor<2x4xi32> {
  %c = qcc.constant dense<1> : tensor<2x4xi32>
  %0 = qcc.matmul %a, %b : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
  %1 = qcc.add %0, %c : (tensor<2x4xi32>, tensor<2x4xi32>) -> tensor<2x4xi32>
  return %1 : tensor<2x4xi32>
}

// -----

// A float result not produced by a boundary dequantize.
func.func @float_signature(%a: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+1 {{floating-point type 'f32' in a result of integer-only code}}
  %0 = qcc.cast %a : tensor<4xi32> to tensor<4xf32>
  // expected-error @+1 {{floating-point type 'f32' in a returned value of integer-only code}}
  return %0 : tensor<4xf32>
}

// -----

// The float boundary of --io=float: quantize the argument on entry,
// dequantize the result on exit.
// CHECK-LABEL: func.func @float_boundary
func.func @float_boundary(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qcc.quantize %x {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<4xf32> to tensor<4xi8>
  %1 = qcc.relu %0 : tensor<4xi8>
  %2 = qcc.dequantize %1 {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<4xi8> to tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// A float argument read by anything but a boundary quantize.
func.func @float_argument_inside(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+2 {{floating-point function argument #0 used inside integer-only code}}
  // expected-error @+1 {{floating-point type 'f32' in an operand of integer-only code}}
  %0 = qcc.relu %x : tensor<4xf32>
  // expected-error @+1 {{floating-point type 'f32' in an operand of integer-only code}}
  %1 = qcc.quantize %0 {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<4xf32> to tensor<4xi8>
  return %1 : tensor<4xi8>
}

// -----

// A dequantize inside the graph is not a boundary.
func.func @inner_dequantize(%x: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error @+1 {{floating-point type 'f32' in a result of integer-only code}}
  %0 = qcc.dequantize %x {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<4xi8> to tensor<4xf32>
  // expected-error @+1 {{floating-point type 'f32' in an operand of integer-only code}}
  %1 = qcc.relu %0 : tensor<4xf32>
  // expected-error @+1 {{floating-point type 'f32' in a returned value of integer-only code}}
  return %0 : tensor<4xf32>
}

// -----

func.func @float_constant() -> tensor<4xi32> {
  // expected-error @+1 {{floating-point type 'f16' in a result of integer-only code}}
  %0 = qcc.constant dense<1.0> : tensor<4xf16>
  // expected-error @+1 {{floating-point type 'f16' in an operand of integer-only code}}
  %1 = qcc.cast %0 : tensor<4xf16> to tensor<4xi32>
  return %1 : tensor<4xi32>
}

// -----

// Float scales hidden in an attribute are still float.
func.func @float_attribute(%a: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{floating-point type 'f32' in attribute 'scales' of integer-only code}}
  %0 = "test.rescale"(%a) {scales = array<f32: 0.5>} : (tensor<4xi8>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}
