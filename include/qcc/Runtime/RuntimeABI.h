/*===- qcc/Runtime/RuntimeABI.h - generated code <-> runtime ABI --*- C -*-===*\
|*                                                                            *|
|* Part of the qcc project.                                                   *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The interface between the code qcc generates for a model and the runtime  *|
|* archive (lib/Runtime, libqcc_runtime.a) linked into every generated        *|
|* library. Internal: applications use qcc-c/qcc.h and the generated NAME.h. *|
|*                                                                            *|
|* The generated code calls one kernel per integer op:                        *|
|*                                                                            *|
|*   int32_t qcc_rt_<op>(qcc_rt_context *ctx, const qcc_rt_tensor *inputs,   *|
|*                       int64_t num_inputs, const qcc_rt_tensor *output,     *|
|*                       const int64_t *attrs);                               *|
|*                                                                            *|
|* with the op's operands, its single result (memory owned by the caller)    *|
|* and its attributes flattened to int64 in the order documented per kernel  *|
|* below ("[n] x" is a count n followed by n values). A kernel returns 0, or  *|
|* a qcc_status after qcc_rt_set_error(ctx, ...). Every kernel computes       *|
|* exactly what the reference interpreter computes for the op (the integer    *|
|* semantics of docs/IntegerSemantics.md; the same IntegerMath.h functions). *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef QCC_RUNTIME_RUNTIMEABI_H
#define QCC_RUNTIME_RUNTIMEABI_H

#include "qcc-c/qcc.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QCC_RT_ABI_VERSION 2

/* A tensor as kernels see it. `dtype` is a qcc_dtype. Layout (LLVM):
   { ptr, ptr, i64, i64 }. */
typedef struct qcc_rt_tensor {
  void *data;
  const int64_t *shape;
  int64_t rank;
  int64_t dtype;
} qcc_rt_tensor;

/* Per-context runtime state: worker threads, the last error message. */
typedef struct qcc_rt_context qcc_rt_context;

/* Records `message` (printf-style) as the context's last error; returns
   `status` for `return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, ...)`. */
int32_t qcc_rt_set_error(qcc_rt_context *ctx, int32_t status,
                         const char *format, ...);

/* A model input or output as the generated code describes it. */
typedef struct qcc_rt_io {
  const char *name;
  int64_t dtype;
  int64_t rank;
  const int64_t *shape;
  double scale;
  int64_t zero_point;
} qcc_rt_io;

/* One kernel call of the run function, for profiles. */
typedef struct qcc_rt_op {
  const char *name;   /* the ONNX node's name, or the kernel's */
  const char *kernel; /* the kernel without its qcc_rt_ prefix */
} qcc_rt_op;

/* The model descriptor the generated code defines (one per library). */
typedef struct qcc_rt_model {
  int64_t abi_version; /* QCC_RT_ABI_VERSION */
  int64_t num_inputs;
  int64_t num_outputs;
  const qcc_rt_io *inputs;
  const qcc_rt_io *outputs;
  /* Bytes of scratch memory for intermediate tensors (64-byte aligned). */
  int64_t arena_bytes;
  /* Runs the graph: inputs/outputs are the callers' buffers (already
     checked against the descriptor), arena is arena_bytes of scratch.
     Returns 0 or a qcc_status (the error recorded in ctx). */
  int32_t (*run)(qcc_rt_context *ctx, uint8_t *arena, void *const *inputs,
                 void *const *outputs);
  /* The kernel calls `run` makes, in order; run calls qcc_rt_op_done(ctx, i)
     after call i returned 0. */
  int64_t num_ops;
  const qcc_rt_op *ops;
} qcc_rt_model;

/* The generic implementation behind the generated NAME_* functions. */
qcc_status qcc_rt_create(const qcc_rt_model *model, qcc_context **ctx);
void qcc_rt_destroy(qcc_context *ctx);
qcc_status qcc_rt_run(qcc_context *ctx, const qcc_tensor *inputs,
                      int32_t num_inputs, const qcc_tensor *outputs,
                      int32_t num_outputs);
qcc_status qcc_rt_info(const qcc_rt_model *model, int32_t is_output,
                       int32_t index, qcc_tensor_info *info);
const char *qcc_rt_last_error(const qcc_context *ctx);
/* 0: one thread per hardware thread, or QCC_NUM_THREADS when set. */
qcc_status qcc_rt_set_num_threads(qcc_context *ctx, int32_t num_threads);
/* A context of a model with no graph, for calling kernels directly (their
   worker threads and error messages): kernel tests, benchmarks, qcc-tune.
   Destroyed with qcc_rt_destroy. */
qcc_status qcc_rt_create_kernel_context(qcc_context **ctx);
/* The context's thread count (0 for a null context). */
int32_t qcc_rt_get_num_threads(const qcc_context *ctx);

/* Profiling. enable != 0 (re)starts counting every op's calls and time from
   zero; 0 stops and drops the counters. */
qcc_status qcc_rt_enable_profiling(qcc_context *ctx, int32_t enable);
int32_t qcc_rt_num_ops(const qcc_rt_model *model);
qcc_status qcc_rt_op_profile(const qcc_context *ctx, int32_t index,
                             qcc_op_profile *profile);
/* For the generated run function: op `index` finished (a no-op unless
   profiling is enabled on ctx). */
void qcc_rt_op_done(qcc_rt_context *ctx, int64_t index);

/* Kernels the compiler generates (docs/CPUBackend.md, "Generated
   elementwise kernels"). task(ptrs, begin, end) computes rows [begin, end)
   of its op group; ptrs are the group's tensors (inputs, then the output).
   qcc_rt_run_generated calls `avx512` (compiled for AVX-512 F/BW/VL) when
   the CPU has AVX-512 F/BW/VL and QCC_DISABLE_VNNI is unset or 0,
   `portable` otherwise, on disjoint ranges
   covering [0, rows), each of at least `grain` rows but the last, on the
   context's threads. Returns 0 (QCC_OK). */
typedef void (*qcc_rt_task_fn)(void *const *ptrs, int64_t begin, int64_t end);
int32_t qcc_rt_run_generated(qcc_rt_context *ctx, qcc_rt_task_fn avx512,
                             qcc_rt_task_fn portable, void *const *ptrs,
                             int64_t rows, int64_t grain);

/*===----------------------------------------------------------------------===*
 * Kernels and their attrs (all int64). Element types follow the op
 * definitions in QccOps.td / QccIntegerOps.td; broadcasting is NumPy's.
 *===----------------------------------------------------------------------===*/

#define QCC_RT_KERNEL(name)                                                    \
  int32_t qcc_rt_##name(qcc_rt_context *ctx, const qcc_rt_tensor *inputs,     \
                        int64_t num_inputs, const qcc_rt_tensor *output,      \
                        const int64_t *attrs)

/* Boundary (the only kernels with float arithmetic).
   quantize:   in f32 -> i8/ui8/i16/i32. attrs: axis, [n] zero_points,
               then n scales as the bit patterns of f32 values.
   dequantize: in i8/ui8/i16/i32 -> f32. attrs: same layout. */
QCC_RT_KERNEL(quantize);
QCC_RT_KERNEL(dequantize);

/* Linear. conv: inputs x, w[, bias i32]; attrs: group, [n] strides,
   [2n] pads (begins then ends), [n] dilations. matmul: inputs a, b;
   attrs: none. Both accumulate in i32 (wrapping). */
QCC_RT_KERNEL(conv);
QCC_RT_KERNEL(matmul);

/* Fused linear op (qcc/Runtime/PackedLinear.h): inputs x (i8/u8), the
   compile-time packed blob (u8, rank 1)[, residual]; attrs: none for a
   matmul (x is rows x k in any leading dimensions), those of conv for a
   convolution. The output has the blob's output type. */
QCC_RT_KERNEL(linear);

/* Elementwise on identical integer types (i32 in practice), broadcasting:
   add, sub, mul (wrapping), div (truncating; division by zero is an
   error). less, greater: result i1 (one byte per element). where: inputs
   cond (i1), a, b. relu: max(x, 0). No attrs. */
QCC_RT_KERNEL(add);
QCC_RT_KERNEL(sub);
QCC_RT_KERNEL(mul);
QCC_RT_KERNEL(div);
QCC_RT_KERNEL(less);
QCC_RT_KERNEL(greater);
QCC_RT_KERNEL(where);
QCC_RT_KERNEL(relu);

/* Integer conversion between integer types (wrapping like qcc.cast). */
QCC_RT_KERNEL(cast);

/* Integer-only ops (QccIntegerOps.td).
   requant:        attrs axis, input_zero_point, output_zero_point, min,
                   max (the result type's range when the op has none),
                   [n] multipliers, n shifts.
   requant_add:    attrs axis, min, max, [n] lhs multipliers, n lhs shifts,
                   [k] rhs multipliers, k rhs shifts.
   int_softmax:    inputs scores[, key_mask]; attrs input_bits,
                   exp_multiplier, exp_shift, poly_b, poly_c, e16_multiplier,
                   e16_shift.
   int_gelu:       attrs clip, one, erf_shift, output_multiplier,
                   output_shift.
   int_layer_norm: attrs var_shift, var_offset, [n] multipliers, n shifts,
                   n biases.
   lookup:         attrs [256] table. */
QCC_RT_KERNEL(requant);
QCC_RT_KERNEL(requant_add);
QCC_RT_KERNEL(int_softmax);
QCC_RT_KERNEL(int_gelu);
QCC_RT_KERNEL(int_layer_norm);
QCC_RT_KERNEL(lookup);

/* Fused attention (lib/Target/CPU/FuseAttention.h): inputs q [B, Sq, H, D],
   k and v [B, Sk, H, D] (i8/u8)[, key_mask [B, Sk]]; output [B, Sq, H, D]:
   transpose(requant(matmul(int_softmax(matmul(q', k'), key_mask), v')))
   with q' = q and v' = v transposed 0 2 1 3, k' = k transposed 0 2 3 1,
   the result transposed back 0 2 1 3. attrs: int_softmax's seven, then
   the requant's input_zero_point, output_zero_point, min, max,
   multiplier, shift (one per tensor). */
QCC_RT_KERNEL(attention);

/* Reductions and pooling.
   reduce_sum, reduce_max: attrs keepdims, [n] axes.
   max_pool: attrs [n] kernel_shape, [n] strides, [2n] pads, [n] dilations. */
QCC_RT_KERNEL(reduce_sum);
QCC_RT_KERNEL(reduce_max);
QCC_RT_KERNEL(max_pool);

/* Data movement (any element type; reshape is free: no kernel).
   transpose:    attrs [n] permutation.
   concat:       attrs axis (any number of inputs).
   slice:        attrs [n] starts, n steps (normalized, one per dim).
   gather:       inputs data, indices (i32/i64); attrs axis. An index out of
                 range is an error.
   broadcast_to: no attrs (output shape is the target).
   pad:          attrs mode (0 constant, 1 reflect, 2 edge), [2n] pads,
                 value (integer, constant mode). */
QCC_RT_KERNEL(transpose);
QCC_RT_KERNEL(concat);
QCC_RT_KERNEL(slice);
QCC_RT_KERNEL(gather);
QCC_RT_KERNEL(broadcast_to);
QCC_RT_KERNEL(pad);

/* Copies input 0 to the output (same bytes); used for graph outputs that
   alias inputs or constants. */
QCC_RT_KERNEL(copy);

#undef QCC_RT_KERNEL

#ifdef __cplusplus
}
#endif

#endif /* QCC_RUNTIME_RUNTIMEABI_H */
