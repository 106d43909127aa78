// qcc-tabulate: elementwise functions of one 8-bit input become lookups.
// RUN: qcc-opt %s --qcc-tabulate | FileCheck %s
//
// The tabulated graph computes what the original did: both run in the
// interpreter on every 8-bit value, outputs compared byte for byte.
// RUN: rm -rf %t && mkdir -p %t/before %t/after
// RUN: %python -c "import numpy as n; n.save('%t/s.npy', n.arange(-128, 128, dtype=n.int8).reshape(2, 128)); n.save('%t/u.npy', n.arange(0, 256, dtype=n.uint8).reshape(2, 128)); n.save('%t/w.npy', n.arange(-300, 212, 2, dtype=n.int32).reshape(2, 128))"
// RUN: qcc-opt %s --qcc-tabulate -o %t/tabulated.mlir
// RUN: qcc-run %s --input s=%t/s.npy --input u=%t/u.npy --input w=%t/w.npy --output-dir %t/before > /dev/null
// RUN: qcc-run %t/tabulated.mlir --input s=%t/s.npy --input u=%t/u.npy --input w=%t/w.npy --output-dir %t/after > /dev/null
// RUN: for f in gelu wide chain lut ugelu perchannel i32; do cmp %t/before/$f.npy %t/after/$f.npy || exit 1; done

func.func @main(%s: tensor<2x128xi8> {qcc.name = "s"},
                %u: tensor<2x128xui8> {qcc.name = "u"},
                %w: tensor<2x128xi32> {qcc.name = "w"})
    -> (tensor<2x128xi8> {qcc.name = "gelu"}, tensor<2x128xi16> {qcc.name = "wide"},
        tensor<2x128xi32> {qcc.name = "chain"}, tensor<2x128xui8> {qcc.name = "lut"},
        tensor<2x128xi8> {qcc.name = "ugelu"}, tensor<2x128xi8> {qcc.name = "perchannel"},
        tensor<2x128xi8> {qcc.name = "i32"}) {
  // I-BERT GELU after its input rescale: one i8 -> i8 table; the i16
  // rescale stays as a table too, since it is also returned.
  %0 = qcc.requant %s {multiplier = array<i32: 1464684610>, shift = array<i32: 24>} : tensor<2x128xi8> to tensor<2x128xi16>
  %1 = qcc.int_gelu %0 {clip = 9013 : i64, erf_shift = 3 : i32, one = 89876132 : i64, output_multiplier = 1280359107 : i32, output_shift = 61 : i32} : tensor<2x128xi16> to tensor<2x128xi8>
  // Zero points and bounds, LayerNorm-input style, then a second requant.
  %2 = qcc.requant %s {input_zero_point = 3 : i64, output_zero_point = -7 : i64, min = -2097151 : i64, max = 2097151 : i64, multiplier = array<i32: 1437313497>, shift = array<i32: 16>} : tensor<2x128xi8> to tensor<2x128xi32>
  %3 = qcc.requant %2 {multiplier = array<i32: 1073741824>, shift = array<i32: 31>} : tensor<2x128xi32> to tensor<2x128xi32>
  // A lookup of a lookup.
  %4 = qcc.lookup %s {table = array<i32: 255, 254, 253, 252, 251, 250, 249, 248, 247, 246, 245, 244, 243, 242, 241, 240, 239, 238, 237, 236, 235, 234, 233, 232, 231, 230, 229, 228, 227, 226, 225, 224, 223, 222, 221, 220, 219, 218, 217, 216, 215, 214, 213, 212, 211, 210, 209, 208, 207, 206, 205, 204, 203, 202, 201, 200, 199, 198, 197, 196, 195, 194, 193, 192, 191, 190, 189, 188, 187, 186, 185, 184, 183, 182, 181, 180, 179, 178, 177, 176, 175, 174, 173, 172, 171, 170, 169, 168, 167, 166, 165, 164, 163, 162, 161, 160, 159, 158, 157, 156, 155, 154, 153, 152, 151, 150, 149, 148, 147, 146, 145, 144, 143, 142, 141, 140, 139, 138, 137, 136, 135, 134, 133, 132, 131, 130, 129, 128, 127, 126, 125, 124, 123, 122, 121, 120, 119, 118, 117, 116, 115, 114, 113, 112, 111, 110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89, 88, 87, 86, 85, 84, 83, 82, 81, 80, 79, 78, 77, 76, 75, 74, 73, 72, 71, 70, 69, 68, 67, 66, 65, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0>} : tensor<2x128xi8> to tensor<2x128xui8>
  %5 = qcc.requant %4 {input_zero_point = 100 : i64, multiplier = array<i32: 1073741824>, shift = array<i32: 29>} : tensor<2x128xui8> to tensor<2x128xui8>
  // An unsigned input.
  %6 = qcc.int_gelu %u {clip = 300 : i64, erf_shift = 0 : i32, one = 6925207 : i64, output_multiplier = 1321449806 : i32, output_shift = 56 : i32} : tensor<2x128xui8> to tensor<2x128xi8>
  // Not tabulated: a requant per channel, a requant of i32.
  %7 = qcc.requant %s {axis = 0 : i64, multiplier = array<i32: 1073741824, 1500000000>, shift = array<i32: 31, 32>} : tensor<2x128xi8> to tensor<2x128xi8>
  %8 = qcc.requant %w {multiplier = array<i32: 1073741824>, shift = array<i32: 32>} : tensor<2x128xi32> to tensor<2x128xi8>
  return %1, %0, %3, %5, %6, %7, %8 : tensor<2x128xi8>, tensor<2x128xi16>, tensor<2x128xi32>, tensor<2x128xui8>, tensor<2x128xi8>, tensor<2x128xi8>, tensor<2x128xi8>
}

// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[S:[a-z0-9]+]]: tensor<2x128xi8>
// CHECK-SAME: %[[U:[a-z0-9]+]]: tensor<2x128xui8>
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<2x128xi32>
// CHECK-NOT: qcc.int_gelu
// CHECK: %[[WIDE:.*]] = qcc.lookup %[[S]] {{.*}} : tensor<2x128xi8> to tensor<2x128xi16>
// CHECK: %[[GELU:.*]] = qcc.lookup %[[S]] {{.*}} : tensor<2x128xi8> to tensor<2x128xi8>
// CHECK: %[[CHAIN:.*]] = qcc.lookup %[[S]] {{.*}} : tensor<2x128xi8> to tensor<2x128xi32>
// CHECK: %[[LUT:.*]] = qcc.lookup %[[S]] {{.*}} : tensor<2x128xi8> to tensor<2x128xui8>
// CHECK: %[[UGELU:.*]] = qcc.lookup %[[U]] {{.*}} : tensor<2x128xui8> to tensor<2x128xi8>
// CHECK: %[[PC:.*]] = qcc.requant %[[S]] {multiplier = array<i32: 1073741824, 1500000000>
// CHECK: %[[I32:.*]] = qcc.requant %[[W]]
// CHECK: return %[[GELU]], %[[WIDE]], %[[CHAIN]], %[[LUT]], %[[UGELU]], %[[PC]], %[[I32]]
