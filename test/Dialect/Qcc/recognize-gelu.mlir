// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-recognize-gelu))' --split-input-file | FileCheck %s

// PyTorch's export: Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5.
// CHECK-LABEL: func.func @torch_erf
// CHECK-NEXT: %[[G:.*]] = qcc.gelu %arg0 : tensor<2x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @torch_erf(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = qcc.constant dense<1.41421354> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %half = qcc.constant dense<0.5> : tensor<f32>
  %a = qcc.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %e = qcc.erf %a : tensor<2x8xf32>
  %b = qcc.add %e, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %c = qcc.mul %x, %b : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = qcc.mul %c, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// HF order: (0.5 * x) * (1 + erf(x * 0.7071)).
// CHECK-LABEL: func.func @hf_erf
// CHECK-NEXT: qcc.gelu %arg0 : tensor<8xf32>
func.func @hf_erf(%x: tensor<8xf32>) -> tensor<8xf32> {
  %rsqrt2 = qcc.constant dense<0.707106769> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %half = qcc.constant dense<0.5> : tensor<f32>
  %h = qcc.mul %half, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %a = qcc.mul %x, %rsqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = qcc.erf %a : tensor<8xf32>
  %b = qcc.add %one, %e : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %y = qcc.mul %h, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// The tanh approximation, x^3 as Pow and as x * x * x.
// CHECK-LABEL: func.func @tanh_pow
// CHECK-NEXT: qcc.gelu %arg0 {approximate = #qcc.gelu_approximation<tanh>} : tensor<8xf32>
func.func @tanh_pow(%x: tensor<8xf32>) -> tensor<8xf32> {
  %three = qcc.constant dense<3.0> : tensor<f32>
  %c = qcc.constant dense<0.044715> : tensor<f32>
  %k = qcc.constant dense<0.797884583> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %half = qcc.constant dense<0.5> : tensor<f32>
  %cube = qcc.pow %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s = qcc.mul %c, %cube : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %in = qcc.add %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %arg = qcc.mul %k, %in : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %t = qcc.tanh %arg : tensor<8xf32>
  %b = qcc.add %t, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %h = qcc.mul %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = qcc.mul %h, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @tanh_product
// CHECK-NEXT: qcc.gelu %arg0 {approximate = #qcc.gelu_approximation<tanh>} : tensor<8xf32>
func.func @tanh_product(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = qcc.constant dense<0.044715> : tensor<f32>
  %k = qcc.constant dense<0.797884583> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %half = qcc.constant dense<0.5> : tensor<f32>
  %sq = qcc.mul %x, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %cube = qcc.mul %sq, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %s = qcc.mul %cube, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %in = qcc.add %s, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %arg = qcc.mul %in, %k : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %t = qcc.tanh %arg : tensor<8xf32>
  %b = qcc.add %one, %t : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %h = qcc.mul %half, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %y = qcc.mul %b, %h : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// A different constant is a different function: left alone.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: qcc.gelu
func.func @not_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %sqrt3 = qcc.constant dense<1.7320508> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %half = qcc.constant dense<0.5> : tensor<f32>
  %a = qcc.div %x, %sqrt3 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = qcc.erf %a : tensor<8xf32>
  %b = qcc.add %e, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = qcc.mul %x, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = qcc.mul %c, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// erf of another tensor than the multiplied one: left alone.
// CHECK-LABEL: func.func @different_input
// CHECK-NOT: qcc.gelu
func.func @different_input(%x: tensor<8xf32>, %z: tensor<8xf32>) -> tensor<8xf32> {
  %sqrt2 = qcc.constant dense<1.41421354> : tensor<f32>
  %one = qcc.constant dense<1.0> : tensor<f32>
  %half = qcc.constant dense<0.5> : tensor<f32>
  %a = qcc.div %z, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = qcc.erf %a : tensor<8xf32>
  %b = qcc.add %e, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = qcc.mul %x, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = qcc.mul %c, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}
