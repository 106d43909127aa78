// RUN: qcc-opt %s --pass-pipeline='builtin.module(func.func(qcc-integerize))' --split-input-file --verify-diagnostics

// Every op without an integer lowering is reported, not just the first.
func.func @unsupported(%x: tensor<4xf32> {qcc.range = array<f64: -1.0, 1.0>}) -> tensor<4xf32> {
  // expected-error @+1 {{no integer lowering for 'qcc.exp' yet}}
  %e = qcc.exp %x {qcc.range = array<f64: 0.0, 3.0>} : tensor<4xf32>
  // expected-error @+1 {{no integer lowering for 'qcc.sqrt' yet}}
  %s = qcc.sqrt %e {qcc.range = array<f64: 0.0, 2.0>} : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// A value without a calibrated range.
func.func @uncalibrated(%x: tensor<4xf32> {qcc.range = array<f64: -1.0, 1.0>}) -> tensor<4xf32> {
  %c = qcc.constant dense<2.0> : tensor<4xf32>
  %a = qcc.add %x, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // expected-error @+2 {{no calibrated range for operand value}}
  // expected-note @+1 {{calibrate the model (--calibration) or give the value a qcc.range attribute}}
  %r = qcc.reshape %a {qcc.range = array<f64: -3.0, 3.0>} : tensor<4xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A function argument without a range.
// expected-error @+2 {{no calibrated range for operand value (function argument #0)}}
// expected-note @+1 {{calibrate the model}}
func.func @uncalibrated_input(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = qcc.relu %x {qcc.range = array<f64: 0.0, 3.0>} : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// The int32 accumulator bound for the chosen types: K = 140000 products of
// up to 128 * 127 exceed 2^31.
func.func @overflow(%x: tensor<1x140000xf32> {qcc.range = array<f64: -1.0, 1.0>}) -> tensor<1x1xf32> {
  %w = qcc.constant dense<0.5> : tensor<140000x1xf32>
  // expected-error @+1 {{integer overflow: the matmul accumulator can reach 2275840000 in magnitude, beyond the int32 accumulator}}
  %m = qcc.matmul %x, %w {qcc.range = array<f64: -1.0, 1.0>} : (tensor<1x140000xf32>, tensor<140000x1xf32>) -> tensor<1x1xf32>
  return %m : tensor<1x1xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<4x2xf32> {qcc.range = array<f64: -1.0, 1.0>}) -> tensor<4x2xf32> {
  %g = qcc.constant dense<1.0> : tensor<4x2xf32>
  // expected-error @+1 {{integer LayerNorm normalises the last dimension only}}
  %y = qcc.layer_norm %x, %g {axis = 0 : i64, epsilon = 1.0e-05 : f32, qcc.range = array<f64: -1.0, 1.0>} : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Division by a tensor that is neither constant nor integer-valued.
func.func @divide(%x: tensor<4xf32> {qcc.range = array<f64: -1.0, 1.0>},
                  %y: tensor<4xf32> {qcc.range = array<f64: 1.0, 2.0>}) -> tensor<4xf32> {
  // expected-error @+1 {{integer division needs a constant or an integer-valued divisor (such as a token count)}}
  %d = qcc.div %x, %y {qcc.range = array<f64: -1.0, 1.0>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}
