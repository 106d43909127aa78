// qcc.attention (recognised from primitives by the prepare pipeline, so
// written directly here) against NumPy: scores with bias and an additive
// key mask, softmax over keys, weighted values.
// RUN: rm -rf %t && mkdir -p %t/out
// RUN: %python %S/Inputs/oracle.py attention %t
// RUN: qcc-run %s --input q=%t/q.npy --input k=%t/k.npy --input v=%t/v.npy \
// RUN:   --input bias=%t/bias.npy --input mask=%t/mask.npy --output-dir %t/out | FileCheck %s
// RUN: %python %S/Inputs/compare.py %t/expected %t/out | FileCheck %s --check-prefix=CMP

func.func @main(%q: tensor<2x3x4x8xf32> {qcc.name = "q"},
                %k: tensor<2x3x6x8xf32> {qcc.name = "k"},
                %v: tensor<2x3x6x5xf32> {qcc.name = "v"},
                %bias: tensor<4x6xf32> {qcc.name = "bias"},
                %mask: tensor<2x6xi64> {qcc.name = "mask"}) -> tensor<2x3x4x5xf32> {
  %0 = qcc.attention %q, %k, %v bias %bias key_mask %mask {scale = 0.25 : f32}
      : (tensor<2x3x4x8xf32>, tensor<2x3x6x8xf32>, tensor<2x3x6x5xf32>,
         tensor<4x6xf32>, tensor<2x6xi64>) -> tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}

// CHECK: output result0: float32 (2, 3, 4, 5)
// CMP: result0: ok
