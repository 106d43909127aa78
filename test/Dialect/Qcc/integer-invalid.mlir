// Every verifier error of the integer-only ops (QccIntegerOps.cpp), plus
// the shape traits that constrain them.
// RUN: qcc-opt %s -split-input-file -verify-diagnostics

func.func @requant_shift_count(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op expected as many requant shifts as multipliers (>= 1), got 1 and 2}}
  %0 = qcc.requant %x {multiplier = array<i32: 1, 2>, shift = array<i32: 3>} : tensor<4xi32> to tensor<4xi8>
  return
}

// -----

func.func @requant_no_multiplier(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op expected as many requant shifts as multipliers (>= 1), got 0 and 0}}
  %0 = qcc.requant %x {multiplier = array<i32>, shift = array<i32>} : tensor<4xi32> to tensor<4xi8>
  return
}

// -----

func.func @requant_axis(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qcc.requant' op axis 2 out of range for rank 2}}
  %0 = qcc.requant %x {axis = 2 : i64, multiplier = array<i32: 1, 2, 3>, shift = array<i32: 3, 3, 3>} : tensor<2x3xi32> to tensor<2x3xi8>
  return
}

// -----

func.func @requant_negative_axis(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qcc.requant' op axis -1 out of range for rank 2}}
  %0 = qcc.requant %x {axis = -1 : i64, multiplier = array<i32: 1, 2, 3>, shift = array<i32: 3, 3, 3>} : tensor<2x3xi32> to tensor<2x3xi8>
  return
}

// -----

func.func @requant_axis_count(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qcc.requant' op expected 1 or 2 requant multipliers for axis 0, got 3}}
  %0 = qcc.requant %x {multiplier = array<i32: 1, 2, 3>, shift = array<i32: 3, 3, 3>} : tensor<2x3xi32> to tensor<2x3xi8>
  return
}

// -----

func.func @requant_shift_range(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op requant shift 64 outside [0, 63]}}
  %0 = qcc.requant %x {multiplier = array<i32: 1>, shift = array<i32: 64>} : tensor<4xi32> to tensor<4xi8>
  return
}

// -----

func.func @requant_negative_shift(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op requant shift -1 outside [0, 63]}}
  %0 = qcc.requant %x {multiplier = array<i32: 1>, shift = array<i32: -1>} : tensor<4xi32> to tensor<4xi8>
  return
}

// -----

func.func @requant_output_zero_point(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op output zero point 300 outside the range [0, 255] of 'ui8'}}
  %0 = qcc.requant %x {multiplier = array<i32: 1>, output_zero_point = 300 : i64, shift = array<i32: 0>} : tensor<4xi32> to tensor<4xui8>
  return
}

// -----

func.func @requant_input_zero_point(%x: tensor<4xi8>) {
  // expected-error @+1 {{'qcc.requant' op input zero point -129 outside the range of the input type}}
  %0 = qcc.requant %x {input_zero_point = -129 : i64, multiplier = array<i32: 1>, shift = array<i32: 0>} : tensor<4xi8> to tensor<4xi32>
  return
}

// -----

func.func @requant_min(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op min -200 outside the range [-128, 127] of 'i8'}}
  %0 = qcc.requant %x {min = -200 : i64, multiplier = array<i32: 1>, shift = array<i32: 0>} : tensor<4xi32> to tensor<4xi8>
  return
}

// -----

func.func @requant_max(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op max 256 outside the range [0, 255] of 'ui8'}}
  %0 = qcc.requant %x {max = 256 : i64, multiplier = array<i32: 1>, shift = array<i32: 0>} : tensor<4xi32> to tensor<4xui8>
  return
}

// -----

func.func @requant_min_above_max(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qcc.requant' op min 10 above max 5}}
  %0 = qcc.requant %x {max = 5 : i64, min = 10 : i64, multiplier = array<i32: 1>, shift = array<i32: 0>} : tensor<4xi32> to tensor<4xi16>
  return
}

// -----

func.func @requant_add_lhs(%a: tensor<2x3xi8>, %b: tensor<2x3xi32>) {
  // expected-error @+1 {{'qcc.requant_add' op expected 1 or 3 lhs multipliers for axis 1, got 2}}
  %0 = qcc.requant_add %a, %b {axis = 1 : i64, lhs_multiplier = array<i32: 1, 2>, lhs_shift = array<i32: 0, 0>, rhs_multiplier = array<i32: 1>, rhs_shift = array<i32: 0>} : (tensor<2x3xi8>, tensor<2x3xi32>) -> tensor<2x3xi8>
  return
}

// -----

func.func @requant_add_rhs(%a: tensor<2x3xi8>, %b: tensor<2x3xi32>) {
  // expected-error @+1 {{'qcc.requant_add' op rhs shift 70 outside [0, 63]}}
  %0 = qcc.requant_add %a, %b {lhs_multiplier = array<i32: 1>, lhs_shift = array<i32: 0>, rhs_multiplier = array<i32: 1>, rhs_shift = array<i32: 70>} : (tensor<2x3xi8>, tensor<2x3xi32>) -> tensor<2x3xi8>
  return
}

// -----

func.func @requant_add_rhs_count(%a: tensor<2x3xi8>, %b: tensor<2x3xi32>) {
  // expected-error @+1 {{'qcc.requant_add' op expected as many rhs shifts as multipliers (>= 1), got 2 and 1}}
  %0 = qcc.requant_add %a, %b {lhs_multiplier = array<i32: 1>, lhs_shift = array<i32: 0>, rhs_multiplier = array<i32: 1>, rhs_shift = array<i32: 0, 1>} : (tensor<2x3xi8>, tensor<2x3xi32>) -> tensor<2x3xi8>
  return
}

// -----

func.func @requant_add_clamp(%a: tensor<2x3xi8>, %b: tensor<2x3xi32>) {
  // expected-error @+1 {{'qcc.requant_add' op max 128 outside the range [-128, 127] of 'i8'}}
  %0 = qcc.requant_add %a, %b {lhs_multiplier = array<i32: 1>, lhs_shift = array<i32: 0>, max = 128 : i64, rhs_multiplier = array<i32: 1>, rhs_shift = array<i32: 0>} : (tensor<2x3xi8>, tensor<2x3xi32>) -> tensor<2x3xi8>
  return
}

// -----

func.func @requant_add_shapes(%a: tensor<2x3xi8>, %b: tensor<3xi32>) {
  // expected-error @+1 {{'qcc.requant_add' op requires the same shape for all operands and results}}
  %0 = qcc.requant_add %a, %b {lhs_multiplier = array<i32: 1>, lhs_shift = array<i32: 0>, rhs_multiplier = array<i32: 1>, rhs_shift = array<i32: 0>} : (tensor<2x3xi8>, tensor<3xi32>) -> tensor<2x3xi8>
  return
}

// -----

func.func @int_softmax_rank(%x: tensor<i16>) {
  // expected-error @+1 {{'qcc.int_softmax' op expected an input of rank >= 1}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 16 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<i16> to tensor<ui8>
  return
}

// -----

func.func @int_softmax_result(%x: tensor<2x8xi16>) {
  // expected-error @+1 {{'qcc.int_softmax' op expected a ui8 result (scale 2^-8), got 'i8'}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 16 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x8xi16> to tensor<2x8xi8>
  return
}

// -----

func.func @int_softmax_shape(%x: tensor<2x8xi16>) {
  // expected-error @+1 {{'qcc.int_softmax' op failed to verify that all of {input, result} have same shape}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 16 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x8xi16> to tensor<2x4xui8>
  return
}

// -----

func.func @int_softmax_float_mask(%x: tensor<2x3x8xi16>, %m: tensor<2x8xf32>) {
  // expected-error @+1 {{'qcc.int_softmax' op expected an integer key_mask, got 'f32'}}
  %0 = qcc.int_softmax %x key_mask %m : tensor<2x8xf32> {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 16 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x3x8xi16> to tensor<2x3x8xui8>
  return
}

// -----

func.func @int_softmax_mask_shape(%x: tensor<2x3x8xi16>, %m: tensor<2x7xi1>) {
  // expected-error @+1 {{'qcc.int_softmax' op expected key_mask of shape 2x8 (first x last input dimension), got 'tensor<2x7xi1>'}}
  %0 = qcc.int_softmax %x key_mask %m : tensor<2x7xi1> {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 16 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x3x8xi16> to tensor<2x3x8xui8>
  return
}

// -----

func.func @int_softmax_mask_rank(%x: tensor<8xi16>, %m: tensor<1x8xi1>) {
  // expected-error @+1 {{'qcc.int_softmax' op expected key_mask of shape 0x8 (first x last input dimension), got 'tensor<1x8xi1>'}}
  %0 = qcc.int_softmax %x key_mask %m : tensor<1x8xi1> {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 16 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<8xi16> to tensor<8xui8>
  return
}

// -----

func.func @int_softmax_input_bits(%x: tensor<2x8xi16>) {
  // expected-error @+1 {{'qcc.int_softmax' op input_bits 17 must be in [2, 16] for 'i16' scores}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 17 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x8xi16> to tensor<2x8xui8>
  return
}

// -----

func.func @int_softmax_input_bits_33(%x: tensor<2x8xi32>) {
  // expected-error @+1 {{'qcc.int_softmax' op input_bits 33 must be in [2, 32] for 'i32' scores}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 33 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x8xi32> to tensor<2x8xui8>
  return
}

// -----

func.func @int_softmax_input_bits_1(%x: tensor<2x8xi8>) {
  // expected-error @+1 {{'qcc.int_softmax' op input_bits 1 must be in [2, 8] for 'i8' scores}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 1 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x8xi8> to tensor<2x8xui8>
  return
}

// -----

func.func @int_softmax_row_too_long(%x: tensor<1x70000xi8>) {
  // expected-error @+1 {{'qcc.int_softmax' op parameters fail the overflow proof for rows of 70000: exp sum exceeds 2^31 for this row length}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 8 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<1x70000xi8> to tensor<1x70000xui8>
  return
}

// -----

func.func @int_softmax_poly(%x: tensor<2x8xi8>) {
  // expected-error @+1 {{'qcc.int_softmax' op parameters fail the overflow proof for rows of 8: polynomial value z does not fit 31 bits (z * m >= 2^62)}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 8 : i32, poly_b = 15998 : i64, poly_c = -5 : i64} : tensor<2x8xi8> to tensor<2x8xui8>
  return
}

// -----

func.func @int_softmax_negative_multiplier(%x: tensor<2x8xi8>) {
  // expected-error @+1 {{'qcc.int_softmax' op parameters fail the overflow proof for rows of 8: exponent rescale needs a positive multiplier and a shift in [0, 63]}}
  %0 = qcc.int_softmax %x {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = -1269007978 : i32, exp_shift = 31 : i32, input_bits = 8 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x8xi8> to tensor<2x8xui8>
  return
}

// -----

func.func @int_gelu_clip(%x: tensor<8xi16>) {
  // expected-error @+1 {{'qcc.int_gelu' op expected 0 < clip < 2^31 and clip^2 <= one, got clip -5 and one 6925207}}
  %0 = qcc.int_gelu %x {clip = -5 : i64, erf_shift = 0 : i32, one = 6925207 : i64, output_multiplier = 1321449806 : i32, output_shift = 60 : i32} : tensor<8xi16> to tensor<8xi8>
  return
}

// -----

func.func @int_gelu_one(%x: tensor<8xi16>) {
  // expected-error @+1 {{'qcc.int_gelu' op expected 0 < clip < 2^31 and clip^2 <= one, got clip 2502 and one -1}}
  %0 = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 62 : i32, one = -1 : i64, output_multiplier = 1321449806 : i32, output_shift = 60 : i32} : tensor<8xi16> to tensor<8xi8>
  return
}

// -----

func.func @int_gelu_clip_squared(%x: tensor<8xi16>) {
  // expected-error @+1 {{'qcc.int_gelu' op expected 0 < clip < 2^31 and clip^2 <= one, got clip 2502 and one 6000000}}
  %0 = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 0 : i32, one = 6000000 : i64, output_multiplier = 1321449806 : i32, output_shift = 60 : i32} : tensor<8xi16> to tensor<8xi8>
  return
}

// -----

func.func @int_gelu_erf_shift(%x: tensor<8xi16>) {
  // expected-error @+1 {{'qcc.int_gelu' op erf_shift 0 must bring one below 2^24 (shift <= 62)}}
  %0 = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 0 : i32, one = 20000000 : i64, output_multiplier = 1321449806 : i32, output_shift = 60 : i32} : tensor<8xi16> to tensor<8xi8>
  return
}

// -----

func.func @int_gelu_erf_shift_range(%x: tensor<8xi16>) {
  // expected-error @+1 {{'qcc.int_gelu' op erf_shift 63 must bring one below 2^24 (shift <= 62)}}
  %0 = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 63 : i32, one = 6925207 : i64, output_multiplier = 1321449806 : i32, output_shift = 60 : i32} : tensor<8xi16> to tensor<8xi8>
  return
}

// -----

func.func @int_gelu_output(%x: tensor<8xi16>) {
  // expected-error @+1 {{'qcc.int_gelu' op expected a non-negative output multiplier and a shift in [0, 63]}}
  %0 = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 0 : i32, one = 6925207 : i64, output_multiplier = -1321449806 : i32, output_shift = 60 : i32} : tensor<8xi16> to tensor<8xi8>
  return
}

// -----

func.func @int_gelu_output_shift(%x: tensor<8xi16>) {
  // expected-error @+1 {{'qcc.int_gelu' op expected a non-negative output multiplier and a shift in [0, 63]}}
  %0 = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 0 : i32, one = 6925207 : i64, output_multiplier = 1321449806 : i32, output_shift = 64 : i32} : tensor<8xi16> to tensor<8xi8>
  return
}

// -----

func.func @int_layer_norm_rank(%x: tensor<i32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op expected an input of rank >= 1}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0>, multiplier = array<i32: 1200000000>, shift = array<i32: 36>, var_shift = 0 : i32} : tensor<i32> to tensor<i8>
  return
}

// -----

func.func @int_layer_norm_empty(%x: tensor<2x0xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op normalised dimension 0 outside [1, 65536]}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0>, multiplier = array<i32: 1200000000>, shift = array<i32: 36>, var_shift = 0 : i32} : tensor<2x0xi32> to tensor<2x0xi8>
  return
}

// -----

func.func @int_layer_norm_long(%x: tensor<1x65537xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op normalised dimension 65537 outside [1, 65536]}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0>, multiplier = array<i32: 1200000000>, shift = array<i32: 36>, var_shift = 0 : i32} : tensor<1x65537xi32> to tensor<1x65537xi8>
  return
}

// -----

func.func @int_layer_norm_channels(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op expected 1 or 4 layer_norm multipliers for axis 1, got 2}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0, 0>, multiplier = array<i32: 1, 2>, shift = array<i32: 36, 36>, var_shift = 0 : i32} : tensor<2x4xi32> to tensor<2x4xi8>
  return
}

// -----

func.func @int_layer_norm_shift(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op layer_norm shift 99 outside [0, 63]}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0>, multiplier = array<i32: 1>, shift = array<i32: 99>, var_shift = 0 : i32} : tensor<2x4xi32> to tensor<2x4xi8>
  return
}

// -----

func.func @int_layer_norm_shift_count(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op expected as many layer_norm shifts as multipliers (>= 1), got 2 and 1}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0>, multiplier = array<i32: 1>, shift = array<i32: 3, 3>, var_shift = 0 : i32} : tensor<2x4xi32> to tensor<2x4xi8>
  return
}

// -----

func.func @int_layer_norm_bias(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op expected 1 bias values, got 4}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0, 1, 2, 3>, multiplier = array<i32: 1200000000>, shift = array<i32: 36>, var_shift = 0 : i32} : tensor<2x4xi32> to tensor<2x4xi8>
  return
}

// -----

func.func @int_layer_norm_var_shift(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op var_shift 17 outside [0, 16]}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0>, multiplier = array<i32: 1200000000>, shift = array<i32: 36>, var_shift = 17 : i32} : tensor<2x4xi32> to tensor<2x4xi8>
  return
}

// -----

func.func @int_layer_norm_var_offset(%x: tensor<2x4xi32>) {
  // expected-error @+1 {{'qcc.int_layer_norm' op var_offset -3 is negative}}
  %0 = qcc.int_layer_norm %x {bias = array<i32: 0>, multiplier = array<i32: 1200000000>, shift = array<i32: 36>, var_offset = -3 : i64, var_shift = 0 : i32} : tensor<2x4xi32> to tensor<2x4xi8>
  return
}

// -----

func.func @lookup_size(%x: tensor<4xi8>) {
  // expected-error @+1 {{'qcc.lookup' op expected a table of 256 entries, got 3}}
  %0 = qcc.lookup %x {table = array<i32: 1, 2, 3>} : tensor<4xi8> to tensor<4xi8>
  return
}

// -----

func.func @lookup_entry(%x: tensor<4xui8>) {
  // expected-error @+1 {{'qcc.lookup' op table entry 100 = 300 outside the range [0, 255] of 'ui8'}}
  %0 = qcc.lookup %x {table = array<i32: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 300, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>} : tensor<4xui8> to tensor<4xui8>
  return
}
