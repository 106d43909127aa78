// qcc-unsigned-matmul-inputs: an i8 table read only by matmuls with bias
// adds yields ui8 (+128) and the biases absorb -128 * column sums.
// RUN: qcc-opt %s --qcc-unsigned-matmul-inputs | FileCheck %s
//
// The i32 results are unchanged: both versions run in the interpreter on
// every 8-bit input value, outputs compared byte for byte.
// RUN: rm -rf %t && mkdir -p %t/before %t/after
// RUN: %python -c "import numpy as n; n.save('%t/x.npy', n.arange(-128, 128, dtype=n.int8).reshape(32, 8))"
// RUN: qcc-opt %s --qcc-unsigned-matmul-inputs -o %t/unsigned.mlir
// RUN: qcc-run %s --input x=%t/x.npy --output-dir %t/before > /dev/null
// RUN: qcc-run %t/unsigned.mlir --input x=%t/x.npy --output-dir %t/after > /dev/null
// RUN: for f in a b c d; do cmp %t/before/$f.npy %t/after/$f.npy || exit 1; done

func.func @main(%x: tensor<32x8xi8> {qcc.name = "x"})
    -> (tensor<32x6xi32> {qcc.name = "a"}, tensor<32x4xi32> {qcc.name = "b"},
        tensor<32x6xi32> {qcc.name = "c"}, tensor<32x8xi8> {qcc.name = "d"}) {
  %w1 = qcc.constant dense<[[74, 50, -23, -127, 60, -118], [77, -90, -50, -74, 10, -76], [-62, -116, 123, -73, -79, 25], [-92, 98, 72, -39, -26, -35], [60, -22, -55, 46, -93, 73], [-19, 112, -62, -32, 95, 52], [-118, -41, -124, 82, -22, -69], [57, 94, -102, 1, -35, 57]]> : tensor<8x6xi8>
  %w2 = qcc.constant dense<[[110, 8, 63, -48], [20, -2, 59, -116], [-68, -117, 122, 7], [-3, -6, -120, 85], [88, -123, 31, 14], [-31, -3, 97, 25], [-3, 58, 49, 6], [84, 16, 30, -3]]> : tensor<8x4xi8>
  %b1 = qcc.constant dense<[18185, 23041, 79917, -50375, -27113, 10522]> : tensor<6xi32>
  %b2 = qcc.constant dense<7> : tensor<1xi32>
  // Two matmuls read the table: per-column and one-entry biases.
  %t = qcc.lookup %x {table = array<i32: 43, 78, -123, 78, -8, 3, 33, -55, 122, -115, -57, -30, 18, -24, -95, -117, -128, -116, -90, 127, -80, 39, 64, -68, -56, -17, -61, 121, -83, 101, 76, 88, -99, -28, 32, -2, 42, 45, 41, -113, 117, 14, 103, -59, -36, 97, -81, -112, -33, 45, -97, 94, -41, -70, 11, 101, 98, 95, -50, -124, 71, 53, 69, -128, -119, 0, -43, -17, 110, -76, 7, -45, -53, 78, -89, -47, -98, -90, -57, 50, 20, -14, -85, 76, 76, -68, -113, -47, -91, 76, 5, 1, -54, 1, 119, -68, 68, -125, -48, 110, 95, -107, 87, 88, -12, -34, 122, 115, 45, -26, -75, 111, -60, 14, 44, -67, -48, 61, -78, 44, 113, 47, 37, -10, 119, -72, -37, 36, 39, -101, -87, 49, 87, 34, 110, -32, -44, 76, -118, -79, -79, -29, -88, 76, 88, -31, -121, 54, -101, 28, -85, 112, 45, 125, 29, 57, -32, 79, -100, -89, -36, 54, -4, 88, 113, -26, -20, 13, 37, -6, 26, 117, 59, -47, -20, -26, -90, -128, 74, -21, -38, 33, 16, 111, 29, 108, 20, -45, -46, 125, 22, -80, 84, 82, -126, -88, 49, -25, -41, -110, -80, 91, 85, 84, 18, -93, -46, 6, 126, -62, 12, -3, 0, 13, 52, -101, 123, 93, 68, -57, -16, -14, -49, -114, 62, -128, 67, -79, 36, -41, -68, 109, -7, 99, -80, -5, -40, -12, -125, 42, -40, 91, -74, -42, -117, 75, 8, -26, 106, 24, 118, 60, 21, 0, -77, 48>} : tensor<32x8xi8> to tensor<32x8xi8>
  %0 = qcc.matmul %t, %w1 : (tensor<32x8xi8>, tensor<8x6xi8>) -> tensor<32x6xi32>
  %1 = qcc.add %0, %b1 : (tensor<32x6xi32>, tensor<6xi32>) -> tensor<32x6xi32>
  %2 = qcc.matmul %t, %w2 : (tensor<32x8xi8>, tensor<8x4xi8>) -> tensor<32x4xi32>
  %3 = qcc.add %2, %b2 : (tensor<32x4xi32>, tensor<1xi32>) -> tensor<32x4xi32>
  // Left alone: the table is also returned.
  %u = qcc.lookup %x {table = array<i32: 43, 78, -123, 78, -8, 3, 33, -55, 122, -115, -57, -30, 18, -24, -95, -117, -128, -116, -90, 127, -80, 39, 64, -68, -56, -17, -61, 121, -83, 101, 76, 88, -99, -28, 32, -2, 42, 45, 41, -113, 117, 14, 103, -59, -36, 97, -81, -112, -33, 45, -97, 94, -41, -70, 11, 101, 98, 95, -50, -124, 71, 53, 69, -128, -119, 0, -43, -17, 110, -76, 7, -45, -53, 78, -89, -47, -98, -90, -57, 50, 20, -14, -85, 76, 76, -68, -113, -47, -91, 76, 5, 1, -54, 1, 119, -68, 68, -125, -48, 110, 95, -107, 87, 88, -12, -34, 122, 115, 45, -26, -75, 111, -60, 14, 44, -67, -48, 61, -78, 44, 113, 47, 37, -10, 119, -72, -37, 36, 39, -101, -87, 49, 87, 34, 110, -32, -44, 76, -118, -79, -79, -29, -88, 76, 88, -31, -121, 54, -101, 28, -85, 112, 45, 125, 29, 57, -32, 79, -100, -89, -36, 54, -4, 88, 113, -26, -20, 13, 37, -6, 26, 117, 59, -47, -20, -26, -90, -128, 74, -21, -38, 33, 16, 111, 29, 108, 20, -45, -46, 125, 22, -80, 84, 82, -126, -88, 49, -25, -41, -110, -80, 91, 85, 84, 18, -93, -46, 6, 126, -62, 12, -3, 0, 13, 52, -101, 123, 93, 68, -57, -16, -14, -49, -114, 62, -128, 67, -79, 36, -41, -68, 109, -7, 99, -80, -5, -40, -12, -125, 42, -40, 91, -74, -42, -117, 75, 8, -26, 106, 24, 118, 60, 21, 0, -77, 48>} : tensor<32x8xi8> to tensor<32x8xi8>
  %4 = qcc.matmul %u, %w1 : (tensor<32x8xi8>, tensor<8x6xi8>) -> tensor<32x6xi32>
  %5 = qcc.add %4, %b1 : (tensor<32x6xi32>, tensor<6xi32>) -> tensor<32x6xi32>
  return %1, %3, %5, %u : tensor<32x6xi32>, tensor<32x4xi32>, tensor<32x6xi32>, tensor<32x8xi8>
}

// CHECK-LABEL: func.func @main
// CHECK: %[[T:.*]] = qcc.lookup %{{.*}} {table = array<i32: 171, 206, 5, 206,
// CHECK-SAME: to tensor<32x8xui8>
// CHECK: %[[M0:.*]] = qcc.matmul %[[T]], %{{.*}} : (tensor<32x8xui8>, tensor<8x6xi8>)
// CHECK: %[[A0:.*]] = qcc.add %[[M0]], %{{.*}} : (tensor<32x6xi32>, tensor<6xi32>)
// CHECK: %[[M1:.*]] = qcc.matmul %[[T]], %{{.*}} : (tensor<32x8xui8>, tensor<8x4xi8>)
// CHECK: %[[A1:.*]] = qcc.add %[[M1]], %{{.*}} : (tensor<32x4xi32>, tensor<4xi32>)
// CHECK: %[[U:.*]] = qcc.lookup %{{.*}} {table = array<i32: 43, 78, -123, 78,
// CHECK-SAME: to tensor<32x8xi8>
// CHECK: qcc.matmul %[[U]], %{{.*}} : (tensor<32x8xi8>, tensor<8x6xi8>)
// CHECK: return %[[A0]], %[[A1]]
