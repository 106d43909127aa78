// Every verifier and type-inference failure of the qcc dialect.
// RUN: qcc-opt %s -split-input-file -verify-diagnostics

func.func @broadcast_incompatible(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand types 'tensor<2x3xf32>' and 'tensor<4xf32>' are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @element_types_differ(%a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-error @+2 {{operand element types differ: 'f32' vs 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.mul %a, %b : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  return
}

// -----

func.func @wrong_broadcast_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'qcc.sub' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.sub %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @compare_result_not_bool(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.less' op result #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = qcc.less %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @dynamic_shape(%a: tensor<?xf32>) {
  // expected-error @+1 {{'qcc.relu' op operand #0 must be statically shaped tensor of any type values}}
  %0 = qcc.relu %a : tensor<?xf32>
  return
}

// -----

func.func @where_condition(%c: tensor<5xi1>, %a: tensor<3xf32>) {
  // expected-error @+2 {{condition type 'tensor<5xi1>' is not broadcast-compatible with 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.where %c, %a, %a : (tensor<5xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @sqrt_of_integers(%a: tensor<3xi32>) {
  // expected-error @+1 {{'qcc.sqrt' op operand #0 must be statically shaped tensor of floating-point values}}
  %0 = qcc.sqrt %a : tensor<3xi32>
  return
}

// -----

func.func @clip_bounds(%a: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.clip' op min 6.000000e+00 exceeds max 1.000000e+00}}
  %0 = qcc.clip %a {max = 1.0 : f32, min = 6.0 : f32} : tensor<3xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.cast' op requires the same shape for all operands and results}}
  %0 = qcc.cast %a : tensor<3xf32> to tensor<4xi32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'qcc.softmax' op axis 2 out of range for rank 2}}
  %0 = qcc.softmax %a {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_axis(%a: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.layer_norm' op axis 5 out of range for rank 2}}
  %0 = qcc.layer_norm %a, %g {axis = 5 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_scale(%a: tensor<2x3xf32>, %g: tensor<2x3xf32>) {
  // expected-error @+1 {{'qcc.layer_norm' op scale type 'tensor<2x3xf32>' does not match the normalised dimensions of 'tensor<2x3xf32>'}}
  %0 = qcc.layer_norm %a, %g {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_bias(%a: tensor<2x3xf32>, %g: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'qcc.layer_norm' op bias type 'tensor<4xf32>' does not match}}
  %0 = qcc.layer_norm %a, %g, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%a: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.layer_norm' op epsilon must be non-negative}}
  %0 = qcc.layer_norm %a, %g {axis = 1 : i64, epsilon = -1.0 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @batch_norm_rank(%a: tensor<3xf32>, %p: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.batch_norm' op input must have rank >= 2, got 1}}
  %0 = qcc.batch_norm %a, %p, %p, %p, %p : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @batch_norm_params(%a: tensor<1x3x2x2xf32>, %p: tensor<3xf32>, %q: tensor<4xf32>) {
  // expected-error @+1 {{'qcc.batch_norm' op parameters must be 1-D tensors of 3 'f32', got 'tensor<4xf32>'}}
  %0 = qcc.batch_norm %a, %p, %p, %p, %q : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<1x3x2x2xf32>
  return
}

// -----

func.func @batch_norm_epsilon(%a: tensor<1x3x2x2xf32>, %p: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.batch_norm' op epsilon must be non-negative}}
  %0 = qcc.batch_norm %a, %p, %p, %p, %p {epsilon = -1.0 : f32} : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<3x8xf32>, %w: tensor<4x3xf32>) {
  // expected-error @+2 {{expected input and weight of equal rank >= 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64>, pads = array<i64>, strides = array<i64>} : (tensor<3x8xf32>, tensor<4x3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+2 {{group 3 must divide the input channels (4) and the filters (6)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, group = 3 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_weight_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x3x3x3xf32>) {
  // expected-error @+2 {{weight has 3 channels per group, expected 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{bias must be a 1-D tensor of 6 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>, tensor<4xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_attribute_sizes(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{expected 2 kernel sizes, strides and dilations and 4 pads for 2 spatial dimensions}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{kernel sizes, strides and dilations must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 0, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_pads(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{pads must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: -1, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_window_too_large(%x: tensor<1x4x2x2xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{window of extent 3 does not fit spatial dimension 0 of padded size 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x2x2xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x1x1xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{'qcc.conv' op inferred type(s) 'tensor<1x6x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x6x8x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x8x8xf32>
  return
}

// -----

func.func @matmul_mixed_types(%a: tensor<2x3xf32>, %b: tensor<3x4xi8>) {
  // expected-error @+2 {{unsupported operand element types 'f32' and 'i8': expected one float type, 8-bit integers or i32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xi8>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x4xf32>) {
  // expected-error @+2 {{contraction sizes differ: 'tensor<2x3xf32>' and 'tensor<4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x4xf32>) {
  // expected-error @+2 {{batch dimensions of 'tensor<2x2x3xf32>' and 'tensor<3x3x4xf32>' are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x4xf32>) -> tensor<2x2x4xf32>
  return
}

// -----

func.func @integer_matmul_result(%a: tensor<2x3xi8>, %b: tensor<3x4xi8>) {
  // expected-error @+2 {{'qcc.matmul' op inferred type(s) 'tensor<2x4xi32>' are incompatible with return type(s) of operation 'tensor<2x4xi8>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.matmul %a, %b : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi8>
  return
}

// -----

func.func @pool_rank(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{input must be a static tensor of rank >= 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.max_pool %x {dilations = array<i64>, kernel_shape = array<i64>, pads = array<i64>, strides = array<i64>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @avg_pool_kernel(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+2 {{expected 2 kernel sizes, strides and dilations and 4 pads for 2 spatial dimensions}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.avg_pool %x {kernel_shape = array<i64: 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.reduce_sum %x {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_axes_order(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be sorted and unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.reduce_max %x {axes = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<1x1xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qcc.reshape' op element count changes from 6 to 8}}
  %0 = qcc.reshape %x : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @reshape_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qcc.reshape' op element type changes from 'f32' to 'i32'}}
  %0 = qcc.reshape %x : tensor<2x3xf32> -> tensor<6xi32>
  return
}

// -----

func.func @transpose_size(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation has 3 entries for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.transpose %x {permutation = array<i64: 0, 1, 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_repeat(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.transpose %x {permutation = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @concat_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.concat %x, %x {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+2 {{expected at least one input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.concat {axis = 0 : i64} : () -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_mismatch(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) {
  // expected-error @+2 {{input 'tensor<3x3xf32>' differs from the first input 'tensor<2x3xf32>' outside axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.concat %x, %y {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_element_type(%x: tensor<2x3xf32>, %y: tensor<2x3xi32>) {
  // expected-error @+2 {{inputs must share rank and element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.concat %x, %y {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xi32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @slice_sizes(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{expected 2 starts, ends and steps}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.slice %x {ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return
}

// -----

func.func @slice_not_normalised(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{slice [0, 5) step 1 is not normalised for dimension 1 of size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.slice %x {ends = array<i64: 2, 5>, starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_zero_step(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{slice [0, 2) step 0 is not normalised for dimension 0 of size 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.slice %x {ends = array<i64: 2, 3>, starts = array<i64: 0, 0>, steps = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<2x3xf32>, %i: tensor<4xi64>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.gather %x, %i {axis = 2 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @gather_indices(%x: tensor<2x3xf32>, %i: tensor<4xf32>) {
  // expected-error @+1 {{'qcc.gather' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = qcc.gather %x, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{expected 4 pads, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.pad %x {mode = #qcc.pad_mode<constant>, pads = array<i64: 1, 1>, value = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @pad_value_type(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{pad value must have the element type 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.pad %x {mode = #qcc.pad_mode<constant>, pads = array<i64: 0, 0, 0, 0>, value = 0 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{pads must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.pad %x {mode = #qcc.pad_mode<constant>, pads = array<i64: 0, -1, 0, 0>, value = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @pad_reflect(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{reflect padding of dimension 1 must be smaller than its size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.pad %x {mode = #qcc.pad_mode<reflect>, pads = array<i64: 0, 3, 0, 0>, value = 0.0 : f32} : (tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @pad_edge_empty(%x: tensor<2x0xf32>) {
  // expected-error @+2 {{edge padding of an empty dimension}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.pad %x {mode = #qcc.pad_mode<edge>, pads = array<i64: 0, 1, 0, 0>, value = 0.0 : f32} : (tensor<2x0xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @broadcast_to(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qcc.broadcast_to' op cannot broadcast 'tensor<2x3xf32>' to 'tensor<4x3xf32>'}}
  %0 = qcc.broadcast_to %x : tensor<2x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @broadcast_to_type(%x: tensor<3xf32>) {
  // expected-error @+1 {{'qcc.broadcast_to' op element type changes from 'f32' to 'i32'}}
  %0 = qcc.broadcast_to %x : tensor<3xf32> -> tensor<2x3xi32>
  return
}

// -----

func.func @quantize_counts(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qcc.quantize' op expected as many zero points as scales (>= 1), got 2 and 1}}
  %0 = qcc.quantize %x {scales = array<f32: 0.5>, zero_points = array<i64: 0, 0>} : tensor<2x4xf32> to tensor<2x4xi8>
  return
}

// -----

func.func @quantize_per_axis(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qcc.quantize' op expected 1 or 4 scales for axis 1, got 2}}
  %0 = qcc.quantize %x {axis = 1 : i64, scales = array<f32: 0.5, 0.5>, zero_points = array<i64: 0, 0>} : tensor<2x4xf32> to tensor<2x4xi8>
  return
}

// -----

func.func @quantize_axis(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qcc.quantize' op axis 2 out of range for rank 2}}
  %0 = qcc.quantize %x {axis = 2 : i64, scales = array<f32: 0.5, 0.5>, zero_points = array<i64: 0, 0>} : tensor<2x4xf32> to tensor<2x4xi8>
  return
}

// -----

func.func @quantize_scale(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qcc.quantize' op scales must be positive and finite, got 0}}
  %0 = qcc.quantize %x {scales = array<f32: 0.0>, zero_points = array<i64: 0>} : tensor<2x4xf32> to tensor<2x4xi8>
  return
}

// -----

func.func @dequantize_zero_point(%x: tensor<2x4xui8>) {
  // expected-error @+1 {{'qcc.dequantize' op zero point 256 outside the range [0, 255] of 'ui8'}}
  %0 = qcc.dequantize %x {scales = array<f32: 0.5>, zero_points = array<i64: 256>} : tensor<2x4xui8> to tensor<2x4xf32>
  return
}

// -----

func.func @quantize_signed_zero_point(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qcc.quantize' op zero point -129 outside the range [-128, 127] of 'i8'}}
  %0 = qcc.quantize %x {scales = array<f32: 0.5>, zero_points = array<i64: -129>} : tensor<2x4xf32> to tensor<2x4xi8>
  return
}

// -----

func.func @quantize_storage(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qcc.quantize' op result #0 must be statically shaped tensor of 8-bit signless integer or 8-bit unsigned integer or 16-bit signless integer or 32-bit signless integer values}}
  %0 = qcc.quantize %x {scales = array<f32: 0.5>, zero_points = array<i64: 0>} : tensor<2x4xf32> to tensor<2x4xf32>
  return
}

// -----

func.func @constant_dynamic() {
  // expected-error @+1 {{'qcc.constant' op result #0 must be statically shaped tensor of any type values}}
  %0 = "qcc.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<?xf32>
  return
}

// -----

func.func @attention_head_size(%q: tensor<2x16x8xf32>, %k: tensor<2x16x4xf32>) {
  // expected-error @+2 {{q and k head sizes differ: 'tensor<2x16x8xf32>' and 'tensor<2x16x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.attention %q, %k, %q {scale = 1.0 : f32} : (tensor<2x16x8xf32>, tensor<2x16x4xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x16x8xf32>, %k: tensor<3x16x8xf32>) {
  // expected-error @+2 {{q, k and v must share leading dimensions}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<2x16x8xf32>, tensor<3x16x8xf32>, tensor<3x16x8xf32>) -> tensor<2x16x8xf32>
  return
}

// -----

func.func @attention_values(%q: tensor<2x16x8xf32>, %v: tensor<2x12x8xf32>) {
  // expected-error @+2 {{v has 12 keys, k has 16}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.attention %q, %q, %v {scale = 1.0 : f32} : (tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x12x8xf32>) -> tensor<2x16x8xf32>
  return
}

// -----

func.func @attention_bias(%q: tensor<2x16x8xf32>, %b: tensor<2x16x8xf32>) {
  // expected-error @+2 {{bias must broadcast to the scores shape 'tensor<2x16x16xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.attention %q, %q, %q bias %b {scale = 1.0 : f32} : (tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  return
}

// -----

func.func @attention_key_mask(%q: tensor<2x16x8xf32>, %m: tensor<2x8xi64>) {
  // expected-error @+2 {{key_mask must be [2, 16] for q of rank >= 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.attention %q, %q, %q key_mask %m {scale = 1.0 : f32} : (tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x16x8xf32>, tensor<2x8xi64>) -> tensor<2x16x8xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<8xf32>) {
  // expected-error @+2 {{q, k and v must have one rank >= 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qcc.attention %q, %q, %q {scale = 1.0 : f32} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

// qcc.weight_bits: the precision of a conv's or matmul's constant weights.
func.func @weight_bits_value(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) {
  // expected-error @+1 {{'qcc.weight_bits' must be the integer 8 or 4}}
  %0 = qcc.matmul %x, %w {qcc.weight_bits = 3 : i64} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @weight_bits_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qcc.weight_bits' applies to qcc.matmul and qcc.conv only}}
  %0 = qcc.relu %x {qcc.weight_bits = 4 : i64} : tensor<4xf32>
  return
}

// -----

func.func @weight_bits_range(%x: tensor<2x2xi8>) {
  %w = qcc.constant dense<[[7, -8], [8, 0]]> : tensor<2x2xi8>
  // expected-error @+1 {{weight 8 does not fit the 4-bit range [-8, 7] of 'qcc.weight_bits'}}
  %0 = qcc.matmul %x, %w {qcc.weight_bits = 4 : i64} : (tensor<2x2xi8>, tensor<2x2xi8>) -> tensor<2x2xi32>
  return
}

// -----

func.func @activation_bits_value(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) {
  // expected-error @+1 {{'qcc.activation_bits' must be the integer 8 or 4}}
  %0 = qcc.matmul %x, %w {qcc.activation_bits = 2 : i64} : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @activation_bits_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qcc.activation_bits' applies to qcc.matmul and qcc.conv only}}
  %0 = qcc.relu %x {qcc.activation_bits = 4 : i64} : tensor<4xf32>
  return
}
