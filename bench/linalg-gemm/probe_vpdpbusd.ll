; Probe: does llc-22 -mcpu=native form vpdpbusd (u8 x s8, groups of 4, i32
; accumulate) from the IR shapes a vectorizer produces? Three spellings of
; acc[16] += sum_{t<4} zext(a[4j+t]) * sext(b[4j+t]):
;   @partial_reduce  llvm.vector.partial.reduce.add (LLVM's own form for it),
;   @shuffles        even-4 shuffles of the products and adds (what MLIR's
;                    innerparallel multi_reduction lowering emits),
;   @bcast_a         the same with A a broadcast group of 4 bytes (the
;                    GEMM hot loop of variant vnni4).
; bench/linalg-gemm.sh counts the instructions llc emits for them.

define <16 x i32> @partial_reduce(<16 x i32> %acc, <64 x i8> %a, <64 x i8> %b) {
  %az = zext <64 x i8> %a to <64 x i32>
  %bs = sext <64 x i8> %b to <64 x i32>
  %m = mul <64 x i32> %az, %bs
  %r = call <16 x i32> @llvm.vector.partial.reduce.add.v16i32.v64i32(<16 x i32> %acc, <64 x i32> %m)
  ret <16 x i32> %r
}

define <16 x i32> @shuffles(<16 x i32> %acc, <64 x i8> %a, <64 x i8> %b) {
  %az = zext <64 x i8> %a to <64 x i32>
  %bs = sext <64 x i8> %b to <64 x i32>
  %m = mul <64 x i32> %az, %bs
  %e0 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 0, i32 4, i32 8, i32 12, i32 16, i32 20, i32 24, i32 28, i32 32, i32 36, i32 40, i32 44, i32 48, i32 52, i32 56, i32 60>
  %e1 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 1, i32 5, i32 9, i32 13, i32 17, i32 21, i32 25, i32 29, i32 33, i32 37, i32 41, i32 45, i32 49, i32 53, i32 57, i32 61>
  %e2 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 2, i32 6, i32 10, i32 14, i32 18, i32 22, i32 26, i32 30, i32 34, i32 38, i32 42, i32 46, i32 50, i32 54, i32 58, i32 62>
  %e3 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 3, i32 7, i32 11, i32 15, i32 19, i32 23, i32 27, i32 31, i32 35, i32 39, i32 43, i32 47, i32 51, i32 55, i32 59, i32 63>
  %s0 = add <16 x i32> %acc, %e0
  %s1 = add <16 x i32> %s0, %e1
  %s2 = add <16 x i32> %s1, %e2
  %s3 = add <16 x i32> %s2, %e3
  ret <16 x i32> %s3
}

define <16 x i32> @bcast_a(<16 x i32> %acc, i32 %quad, ptr %bp) {
  %b = load <64 x i8>, ptr %bp
  %qi = insertelement <16 x i32> poison, i32 %quad, i32 0
  %qs = shufflevector <16 x i32> %qi, <16 x i32> poison, <16 x i32> zeroinitializer
  %a = bitcast <16 x i32> %qs to <64 x i8>
  %az = zext <64 x i8> %a to <64 x i32>
  %bs = sext <64 x i8> %b to <64 x i32>
  %m = mul <64 x i32> %az, %bs
  %e0 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 0, i32 4, i32 8, i32 12, i32 16, i32 20, i32 24, i32 28, i32 32, i32 36, i32 40, i32 44, i32 48, i32 52, i32 56, i32 60>
  %e1 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 1, i32 5, i32 9, i32 13, i32 17, i32 21, i32 25, i32 29, i32 33, i32 37, i32 41, i32 45, i32 49, i32 53, i32 57, i32 61>
  %e2 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 2, i32 6, i32 10, i32 14, i32 18, i32 22, i32 26, i32 30, i32 34, i32 38, i32 42, i32 46, i32 50, i32 54, i32 58, i32 62>
  %e3 = shufflevector <64 x i32> %m, <64 x i32> poison, <16 x i32> <i32 3, i32 7, i32 11, i32 15, i32 19, i32 23, i32 27, i32 31, i32 35, i32 39, i32 43, i32 47, i32 51, i32 55, i32 59, i32 63>
  %s0 = add <16 x i32> %acc, %e0
  %s1 = add <16 x i32> %s0, %e1
  %s2 = add <16 x i32> %s1, %e2
  %s3 = add <16 x i32> %s2, %e3
  ret <16 x i32> %s3
}
