// Integer matmul and conv (int8 x uint8, depthwise, i32 bias) accumulate
// exactly in i32; MatMulInteger-style zero points applied in i32 first.
// Oracle: NumPy int64 arithmetic.
// RUN: rm -rf %t && mkdir -p %t/out
// RUN: %python %S/Inputs/oracle.py integer %t
// RUN: qcc-run %s --input a=%t/a.npy --input b=%t/b.npy --input x=%t/x.npy \
// RUN:   --input w=%t/w.npy --input bias=%t/bias.npy --input wd=%t/wd.npy \
// RUN:   --input az=%t/az.npy --input bz=%t/bz.npy --output-dir %t/out | FileCheck %s
// RUN: %python %S/Inputs/compare.py %t/expected %t/out | FileCheck %s --check-prefix=CMP

func.func @main(%a: tensor<3x40xi8> {qcc.name = "a"},
                %b: tensor<40x5xui8> {qcc.name = "b"},
                %x: tensor<1x3x6x6xui8> {qcc.name = "x"},
                %w: tensor<4x3x3x3xi8> {qcc.name = "w"},
                %bias: tensor<4xi32> {qcc.name = "bias"},
                %wd: tensor<3x1x2x2xi8> {qcc.name = "wd"},
                %az: tensor<2x3x7xui8> {qcc.name = "az"},
                %bz: tensor<7x4xi8> {qcc.name = "bz"})
    -> (tensor<3x5xi32> {qcc.name = "mm"}, tensor<1x4x4x4xi32> {qcc.name = "conv"},
        tensor<1x3x6x6xi32> {qcc.name = "dw"}, tensor<2x3x4xi32> {qcc.name = "mmi"}) {
  %0 = qcc.matmul %a, %b : (tensor<3x40xi8>, tensor<40x5xui8>) -> tensor<3x5xi32>
  %1 = qcc.conv %x, %w, %bias {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x3x6x6xui8>, tensor<4x3x3x3xi8>, tensor<4xi32>) -> tensor<1x4x4x4xi32>
  %2 = qcc.conv %x, %wd {dilations = array<i64: 1, 1>, group = 3 : i64, pads = array<i64: 1, 0, 0, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x3x6x6xui8>, tensor<3x1x2x2xi8>) -> tensor<1x3x6x6xi32>
  %c12 = qcc.constant dense<12> : tensor<i32>
  %c3 = qcc.constant dense<3> : tensor<i32>
  %3 = qcc.cast %az : tensor<2x3x7xui8> to tensor<2x3x7xi32>
  %4 = qcc.sub %3, %c12 : (tensor<2x3x7xi32>, tensor<i32>) -> tensor<2x3x7xi32>
  %5 = qcc.cast %bz : tensor<7x4xi8> to tensor<7x4xi32>
  %6 = qcc.add %5, %c3 : (tensor<7x4xi32>, tensor<i32>) -> tensor<7x4xi32>
  %7 = qcc.matmul %4, %6 : (tensor<2x3x7xi32>, tensor<7x4xi32>) -> tensor<2x3x4xi32>
  return %0, %1, %2, %7 : tensor<3x5xi32>, tensor<1x4x4x4xi32>, tensor<1x3x6x6xi32>, tensor<2x3x4xi32>
}

// CHECK: output mm: int32 (3, 5)
// CHECK: output conv: int32 (1, 4, 4, 4)
// CHECK: output dw: int32 (1, 3, 6, 6)
// CHECK: output mmi: int32 (2, 3, 4)

// CMP: conv: ok
// CMP: dw: ok
// CMP: mm: ok
// CMP: mmi: ok
