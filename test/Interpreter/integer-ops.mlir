// The integer-only ops through qcc-run, against an oracle that implements
// docs/IntegerSemantics.md "Integer ops" in Python's exact integers (no
// qcc code, no floats): requant (per axis, zero points, min/max),
// requant_add, int_softmax on 32-bit scores with a key mask, int_gelu,
// int_layer_norm with var_offset, and lookup. The oracle reads each op's
// attributes from this file.
// RUN: rm -rf %t && mkdir -p %t/out
// RUN: %python %S/Inputs/integer_oracle.py %s %t
// RUN: qcc-run %s --input acc=%t/acc.npy --input a=%t/a.npy --input mask=%t/mask.npy \
// RUN:   --input g=%t/g.npy --input x8=%t/x8.npy --output-dir %t/out | FileCheck %s
// RUN: %python %S/Inputs/compare.py %t/expected %t/out | FileCheck %s --check-prefix=CMP

func.func @main(%acc: tensor<2x3x16xi32> {qcc.name = "acc"},
                %a: tensor<2x3x16xi8> {qcc.name = "a"},
                %mask: tensor<2x16xi64> {qcc.name = "mask"},
                %g: tensor<4x64xi16> {qcc.name = "g"},
                %x8: tensor<4x64xi8> {qcc.name = "x8"})
    -> (tensor<2x3x16xi8> {qcc.name = "requant"},
        tensor<2x3x16xi16> {qcc.name = "requant_add"},
        tensor<2x3x16xui8> {qcc.name = "softmax"},
        tensor<4x64xi8> {qcc.name = "gelu"},
        tensor<2x3x16xi8> {qcc.name = "layer_norm"},
        tensor<4x64xui8> {qcc.name = "lookup"}) {
  %requant = qcc.requant %acc {axis = 1 : i64, input_zero_point = 5 : i64, max = 120 : i64, min = -100 : i64, multiplier = array<i32: 1518500250, -1073741824, 2147483647>, output_zero_point = -3 : i64, shift = array<i32: 50, 49, 51>} : tensor<2x3x16xi32> to tensor<2x3x16xi8>
  %requant_add = qcc.requant_add %a, %acc {axis = 1 : i64, lhs_multiplier = array<i32: 1073741824, 1300000000, -1200000000>, lhs_shift = array<i32: 25, 26, 27>, rhs_multiplier = array<i32: 1288490189>, rhs_shift = array<i32: 45>} : (tensor<2x3x16xi8>, tensor<2x3x16xi32>) -> tensor<2x3x16xi16>
  %softmax = qcc.int_softmax %acc key_mask %mask : tensor<2x16xi64> {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1299464170 : i32, exp_shift = 41 : i32, input_bits = 32 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<2x3x16xi32> to tensor<2x3x16xui8>
  %gelu = qcc.int_gelu %g {clip = 2502 : i64, erf_shift = 0 : i32, one = 6925207 : i64, output_multiplier = 1761933074 : i32, output_shift = 60 : i32} : tensor<4x64xi16> to tensor<4x64xi8>
  %layer_norm = qcc.int_layer_norm %acc {bias = array<i32: 3, -2, 0, 1, 5, -7, 2, 0, 0, 1, -1, 4, -4, 9, -9, 6>, multiplier = array<i32: 1200000000, -1100000000, 1073741824, 1500000000, 1200000000, 1100000000, 1073741824, 1500000000, 1200000000, 1100000000, -1073741824, 1500000000, 1200000000, 1100000000, 1073741824, 1500000000>, shift = array<i32: 53, 53, 53, 53, 53, 53, 53, 53, 53, 53, 53, 53, 53, 54, 54, 54>, var_offset = 123456789 : i64, var_shift = 0 : i32} : tensor<2x3x16xi32> to tensor<2x3x16xi8>
  %lookup = qcc.lookup %x8 {table = array<i32: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17, 18, 19, 20, 22, 23, 24, 26, 27, 29, 30, 32, 34, 36, 38, 40, 42, 44, 47, 49, 51, 54, 57, 60, 62, 65, 69, 72, 75, 78, 82, 85, 89, 93, 96, 100, 104, 108, 112, 116, 120, 124, 128, 131, 135, 139, 143, 147, 151, 155, 159, 162, 166, 170, 173, 177, 180, 183, 186, 190, 193, 195, 198, 201, 204, 206, 208, 211, 213, 215, 217, 219, 221, 223, 225, 226, 228, 229, 231, 232, 233, 235, 236, 237, 238, 239, 240, 241, 241, 242, 243, 244, 244, 245, 245, 246, 247, 247, 248, 248, 248, 249, 249, 249, 250, 250, 250, 251, 251, 251, 251, 252, 252, 252, 252, 252, 253, 253, 253, 253, 253, 253, 253, 253, 253, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255>} : tensor<4x64xi8> to tensor<4x64xui8>
  return %requant, %requant_add, %softmax, %gelu, %layer_norm, %lookup : tensor<2x3x16xi8>, tensor<2x3x16xi16>, tensor<2x3x16xui8>, tensor<4x64xi8>, tensor<2x3x16xi8>, tensor<4x64xui8>
}

// CHECK: output requant: int8 (2, 3, 16)
// CHECK: output requant_add: int16 (2, 3, 16)
// CHECK: output softmax: uint8 (2, 3, 16)
// CHECK: output gelu: int8 (4, 64)
// CHECK: output layer_norm: int8 (2, 3, 16)
// CHECK: output lookup: uint8 (4, 64)

// CMP: gelu: ok
// CMP: layer_norm: ok
// CMP: lookup: ok
// CMP: requant: ok
// CMP: requant_add: ok
// CMP: softmax: ok
