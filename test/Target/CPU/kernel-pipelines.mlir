// The pipelines behind the CPU backend's generated kernels
// (ElementwiseKernels.h): a row kernel as buildElementwiseKernel writes it
// (a requant of i32 to i8 in int64 arithmetic, 32 elements per
// linalg.generic) is vectorized, then lowered to the LLVM dialect with
// bare-pointer arguments and, being marked qcc.avx512, AVX-512 target
// features.
// RUN: qcc-opt %s --qcc-cpu-vectorize-kernels | FileCheck %s --check-prefix=VEC
// RUN: qcc-opt %s --qcc-cpu-lower-kernels | FileCheck %s --check-prefix=LLVM

#id = affine_map<(d0) -> (d0)>
func.func @kernel(%in: memref<4x64xi32>, %out: memref<4x64xi8>, %begin: index, %end: index)
    attributes {qcc.kernel, qcc.avx512, llvm.linkage = #llvm.linkage<internal>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.for %r = %begin to %end step %c1 {
    scf.for %c = %c0 to %c64 step %c32 {
      %a = memref.subview %in[%r, %c] [1, 32] [1, 1] : memref<4x64xi32> to memref<32xi32, strided<[1], offset: ?>>
      %o = memref.subview %out[%r, %c] [1, 32] [1, 1] : memref<4x64xi8> to memref<32xi8, strided<[1], offset: ?>>
      linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
          ins(%a : memref<32xi32, strided<[1], offset: ?>>)
          outs(%o : memref<32xi8, strided<[1], offset: ?>>) {
      ^bb0(%x: i32, %unused: i8):
        %e = arith.extsi %x : i32 to i64
        %m = arith.constant 1518500250 : i64
        %p = arith.muli %e, %m : i64
        %h = arith.constant 536870912 : i64
        %q = arith.addi %p, %h : i64
        %s = arith.constant 30 : i64
        %v = arith.shrsi %q, %s : i64
        %lo = arith.constant -128 : i64
        %hi = arith.constant 127 : i64
        %v1 = arith.maxsi %v, %lo : i64
        %v2 = arith.minsi %v1, %hi : i64
        %t = arith.trunci %v2 : i64 to i8
        linalg.yield %t : i8
      }
    }
  }
  return
}

// VEC-LABEL: func.func @kernel
// VEC-NOT: linalg.generic
// VEC: %[[X:.*]] = vector.load %{{.*}} : memref<32xi32, strided<[1], offset: ?>>, vector<32xi32>
// VEC: %[[E:.*]] = arith.extsi %[[X]] : vector<32xi32> to vector<32xi64>
// VEC: %[[P:.*]] = arith.muli %[[E]], %{{.*}} : vector<32xi64>
// VEC: %[[Q:.*]] = arith.addi %[[P]], %{{.*}} : vector<32xi64>
// VEC: %[[V:.*]] = arith.shrsi %[[Q]], %{{.*}} : vector<32xi64>
// VEC: arith.maxsi %[[V]], %{{.*}} : vector<32xi64>
// VEC: %[[T:.*]] = arith.trunci %{{.*}} : vector<32xi64> to vector<32xi8>
// VEC: vector.store %[[T]], %{{.*}} : memref<32xi8, strided<[1], offset: ?>>, vector<32xi8>
// VEC-NOT: linalg.generic

// LLVM-LABEL: llvm.func internal @kernel(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// LLVM-SAME: target_features = #llvm.target_features<["+avx512f", "+avx512bw", "+avx512vl"]>
// LLVM-NOT: qcc.
// LLVM: llvm.load %{{.*}} : !llvm.ptr -> vector<32xi32>
// LLVM: llvm.mul %{{.*}}, %{{.*}} : vector<32xi64>
// LLVM: llvm.ashr %{{.*}}, %{{.*}} : vector<32xi64>
// LLVM: llvm.trunc %{{.*}} : vector<32xi64> to vector<32xi8>
// LLVM: llvm.store %{{.*}}, %{{.*}} {alignment = 1 : i64} : vector<32xi8>, !llvm.ptr
