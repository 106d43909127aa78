// Round trip of every integer-only op (the examples of QccIntegerOps.td
// among them): print, re-parse, print again, and check the custom form.
// RUN: qcc-opt %s | qcc-opt | FileCheck %s
// Generic form round trip too.
// RUN: qcc-opt %s --mlir-print-op-generic | qcc-opt | FileCheck %s

// CHECK-LABEL: func.func @requant
func.func @requant(%acc: tensor<1x2x8x8xi32>, %w: tensor<4xi64>, %u: tensor<4xui8>)
    -> (tensor<1x2x8x8xi8>, tensor<4xi32>, tensor<4xi16>) {
  // CHECK: qcc.requant %{{.*}} {axis = 1 : i64, multiplier = array<i32: 1518500250, 1073741824>, shift = array<i32: 38, 37>} : tensor<1x2x8x8xi32> to tensor<1x2x8x8xi8>
  %y = qcc.requant %acc {axis = 1 : i64, multiplier = array<i32: 1518500250, 1073741824>,
                         shift = array<i32: 38, 37>}
      : tensor<1x2x8x8xi32> to tensor<1x2x8x8xi8>
  // CHECK: qcc.requant %{{.*}} {input_zero_point = -7 : i64, max = 1000 : i64, min = -5 : i64, multiplier = array<i32: -1073741824>, output_zero_point = 3 : i64, shift = array<i32: 63>} : tensor<4xi64> to tensor<4xi32>
  %z = qcc.requant %w {input_zero_point = -7 : i64, max = 1000 : i64, min = -5 : i64,
                       multiplier = array<i32: -1073741824>, output_zero_point = 3 : i64,
                       shift = array<i32: 63>} : tensor<4xi64> to tensor<4xi32>
  // CHECK: qcc.requant %{{.*}} {input_zero_point = 128 : i64, multiplier = array<i32: 1073741824>, shift = array<i32: 30>} : tensor<4xui8> to tensor<4xi16>
  %v = qcc.requant %u {input_zero_point = 128 : i64, multiplier = array<i32: 1073741824>,
                       shift = array<i32: 30>} : tensor<4xui8> to tensor<4xi16>
  return %y, %z, %v : tensor<1x2x8x8xi8>, tensor<4xi32>, tensor<4xi16>
}

// CHECK-LABEL: func.func @requant_add
func.func @requant_add(%a: tensor<4x8xi8>, %b: tensor<4x8xi32>) -> (tensor<4x8xi8>, tensor<4x8xui8>) {
  // CHECK: qcc.requant_add %{{.*}}, %{{.*}} {lhs_multiplier = array<i32: 1073741824>, lhs_shift = array<i32: 31>, rhs_multiplier = array<i32: 1288490189>, rhs_shift = array<i32: 40>} : (tensor<4x8xi8>, tensor<4x8xi32>) -> tensor<4x8xi8>
  %y = qcc.requant_add %a, %b {lhs_multiplier = array<i32: 1073741824>,
                               lhs_shift = array<i32: 31>,
                               rhs_multiplier = array<i32: 1288490189>,
                               rhs_shift = array<i32: 40>}
      : (tensor<4x8xi8>, tensor<4x8xi32>) -> tensor<4x8xi8>
  // The default axis (0) is not printed.
  // CHECK: qcc.requant_add %{{.*}}, %{{.*}} {lhs_multiplier = array<i32: 1, 2, 3, 4>, lhs_shift = array<i32: 0, 1, 2, 3>, max = 200 : i64, min = 10 : i64, rhs_multiplier = array<i32: 5>, rhs_shift = array<i32: 4>} : (tensor<4x8xi8>, tensor<4x8xi32>) -> tensor<4x8xui8>
  %z = qcc.requant_add %a, %b {axis = 0 : i64, lhs_multiplier = array<i32: 1, 2, 3, 4>,
                               lhs_shift = array<i32: 0, 1, 2, 3>, max = 200 : i64,
                               min = 10 : i64, rhs_multiplier = array<i32: 5>,
                               rhs_shift = array<i32: 4>}
      : (tensor<4x8xi8>, tensor<4x8xi32>) -> tensor<4x8xui8>
  return %y, %z : tensor<4x8xi8>, tensor<4x8xui8>
}

// CHECK-LABEL: func.func @int_softmax
func.func @int_softmax(%scores: tensor<1x4x8x8xi32>, %mask: tensor<1x8xi1>,
                       %s8: tensor<3x5xi8>, %m64: tensor<3x5xi64>)
    -> (tensor<1x4x8x8xui8>, tensor<1x4x8x8xui8>, tensor<3x5xui8>) {
  // CHECK: qcc.int_softmax %{{.*}} {e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32, input_bits = 32 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64} : tensor<1x4x8x8xi32> to tensor<1x4x8x8xui8>
  %p = qcc.int_softmax %scores {e16_multiplier = 1478112593 : i32,
      e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32,
      exp_shift = 31 : i32, input_bits = 32 : i32, poly_b = 15998 : i64,
      poly_c = 97499465 : i64} : tensor<1x4x8x8xi32> to tensor<1x4x8x8xui8>
  // CHECK: qcc.int_softmax %{{.*}} key_mask %{{.*}} : tensor<1x8xi1> {e16_multiplier = 1478112593 : i32, {{.*}}} : tensor<1x4x8x8xi32> to tensor<1x4x8x8xui8>
  %q = qcc.int_softmax %scores key_mask %mask : tensor<1x8xi1> {
      e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32,
      exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32,
      input_bits = 32 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64}
      : tensor<1x4x8x8xi32> to tensor<1x4x8x8xui8>
  // CHECK: qcc.int_softmax %{{.*}} key_mask %{{.*}} : tensor<3x5xi64> {{{.*}}input_bits = 6 : i32{{.*}}} : tensor<3x5xi8> to tensor<3x5xui8>
  %r = qcc.int_softmax %s8 key_mask %m64 : tensor<3x5xi64> {
      e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32,
      exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32,
      input_bits = 6 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64}
      : tensor<3x5xi8> to tensor<3x5xui8>
  return %p, %q, %r : tensor<1x4x8x8xui8>, tensor<1x4x8x8xui8>, tensor<3x5xui8>
}

// CHECK-LABEL: func.func @int_gelu
func.func @int_gelu(%x: tensor<1x8x128xi16>) -> tensor<1x8x128xi8> {
  // CHECK: qcc.int_gelu %{{.*}} {clip = 2502 : i64, erf_shift = 0 : i32, one = 6925207 : i64, output_multiplier = 1321449806 : i32, output_shift = 60 : i32} : tensor<1x8x128xi16> to tensor<1x8x128xi8>
  %g = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 0 : i32,
                        one = 6925207 : i64, output_multiplier = 1321449806 : i32,
                        output_shift = 60 : i32}
      : tensor<1x8x128xi16> to tensor<1x8x128xi8>
  return %g : tensor<1x8x128xi8>
}

// CHECK-LABEL: func.func @int_layer_norm
func.func @int_layer_norm(%x: tensor<1x8x2xi32>, %w: tensor<3xi16>) -> (tensor<1x8x2xi8>, tensor<3xi32>) {
  // CHECK: qcc.int_layer_norm %{{.*}} {bias = array<i32: 3, -2>, multiplier = array<i32: 1200000000, -1100000000>, shift = array<i32: 36, 36>, var_offset = 20 : i64, var_shift = 0 : i32} : tensor<1x8x2xi32> to tensor<1x8x2xi8>
  %y = qcc.int_layer_norm %x {bias = array<i32: 3, -2>,
      multiplier = array<i32: 1200000000, -1100000000>,
      shift = array<i32: 36, 36>, var_offset = 20 : i64, var_shift = 0 : i32}
      : tensor<1x8x2xi32> to tensor<1x8x2xi8>
  // The default var_offset (0) is not printed.
  // CHECK: qcc.int_layer_norm %{{.*}} {bias = array<i32: 0>, multiplier = array<i32: 1073741824>, shift = array<i32: 30>, var_shift = 4 : i32} : tensor<3xi16> to tensor<3xi32>
  %z = qcc.int_layer_norm %w {bias = array<i32: 0>, multiplier = array<i32: 1073741824>,
      shift = array<i32: 30>, var_offset = 0 : i64, var_shift = 4 : i32}
      : tensor<3xi16> to tensor<3xi32>
  return %y, %z : tensor<1x8x2xi8>, tensor<3xi32>
}

// CHECK-LABEL: func.func @lookup
func.func @lookup(%x: tensor<8xi8>, %u: tensor<2x2xui8>) -> (tensor<8xui8>, tensor<2x2xi32>) {
  // CHECK: qcc.lookup %{{.*}} {table = array<i32: 0, 1, 2, {{.*}}, 254, 255>} : tensor<8xi8> to tensor<8xui8>
  %y = qcc.lookup %x {table = array<i32: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255>}
      : tensor<8xi8> to tensor<8xui8>
  // CHECK: qcc.lookup %{{.*}} {table = array<i32: -100000, 1, {{.*}}} : tensor<2x2xui8> to tensor<2x2xi32>
  %z = qcc.lookup %u {table = array<i32: -100000, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255>}
      : tensor<2x2xui8> to tensor<2x2xi32>
  return %y, %z : tensor<8xui8>, tensor<2x2xi32>
}
