// Elementwise groups for the CPU backend's generated kernels
// (elementwise-kernels.test): qcc compiles this integer graph as it is.
func.func @main(%a: tensor<3x5x70xi32> {qcc.name = "a"},
                %b: tensor<3x5x70xi8> {qcc.name = "b"},
                %c: tensor<3x5x70xi16> {qcc.name = "c"},
                %d: tensor<1x7xi32> {qcc.name = "d"})
    -> (tensor<3x5x70xi16> {qcc.name = "s"}, tensor<3x5x70xui8> {qcc.name = "u"},
        tensor<3x5x70xi32> {qcc.name = "w"}, tensor<3x5x70xi8> {qcc.name = "x"},
        tensor<3x5x70xi8> {qcc.name = "y"}, tensor<1x7xi8> {qcc.name = "z"}) {
  // One group of two ops: %r is read by the requant_add only. A negative
  // multiplier, an output zero point, min/max narrower than i8.
  %r = qcc.requant %a {axis = 0 : i64, input_zero_point = 0 : i64, multiplier = array<i32: -1518500250>, output_zero_point = -3 : i64, shift = array<i32: 40>, min = -100 : i64, max = 120 : i64} : tensor<3x5x70xi32> to tensor<3x5x70xi8>
  %s = qcc.requant_add %r, %b {axis = 0 : i64, lhs_multiplier = array<i32: 1073741824>, lhs_shift = array<i32: 28>, rhs_multiplier = array<i32: 2147483647>, rhs_shift = array<i32: 31>} : (tensor<3x5x70xi8>, tensor<3x5x70xi8>) -> tensor<3x5x70xi16>
  // Shift 0 and an input zero point; %u is also an output, so the
  // requant_add below is a group of its own.
  %u = qcc.requant %b {axis = 0 : i64, input_zero_point = -128 : i64, multiplier = array<i32: 1>, output_zero_point = 0 : i64, shift = array<i32: 0>} : tensor<3x5x70xi8> to tensor<3x5x70xui8>
  // The most negative multiplier, an unsigned operand.
  %w = qcc.requant_add %u, %c {axis = 0 : i64, lhs_multiplier = array<i32: 2147483647>, lhs_shift = array<i32: 24>, rhs_multiplier = array<i32: -2147483648>, rhs_shift = array<i32: 33>} : (tensor<3x5x70xui8>, tensor<3x5x70xi16>) -> tensor<3x5x70xi32>
  // (x - zp) * m can reach 2^63 here: the runtime's requant computes it.
  %x = qcc.requant %a {axis = 0 : i64, input_zero_point = -2147483648 : i64, multiplier = array<i32: 2147483647>, output_zero_point = 0 : i64, shift = array<i32: 62>} : tensor<3x5x70xi32> to tensor<3x5x70xi8>
  // Per-channel: the runtime's requant.
  %y = qcc.requant %c {axis = 1 : i64, input_zero_point = 0 : i64, multiplier = array<i32: 1073741824, 1200000000, -1300000000, 1500000000, 2000000000>, output_zero_point = 0 : i64, shift = array<i32: 35, 36, 37, 38, 39>} : tensor<3x5x70xi16> to tensor<3x5x70xi8>
  // Seven elements: one chunk shorter than the vector length; shift 62.
  %z = qcc.requant %d {axis = 0 : i64, input_zero_point = 0 : i64, multiplier = array<i32: 2147483647>, output_zero_point = 5 : i64, shift = array<i32: 62>} : tensor<1x7xi32> to tensor<1x7xi8>
  return %s, %u, %w, %x, %y, %z : tensor<3x5x70xi16>, tensor<3x5x70xui8>, tensor<3x5x70xi32>, tensor<3x5x70xi8>, tensor<3x5x70xi8>, tensor<1x7xi8>
}
