/*===- qcc-c/qcc.h - C API of qcc-generated model libraries -------*- C -*-===*\
|*                                                                            *|
|* Part of the qcc project.                                                   *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Types shared by every library `qcc model.onnx -o libNAME.so` generates.    *|
|* The generated NAME.h declares the model's functions with the prefix NAME  *|
|* (NAME_create, NAME_run, ...) in terms of these types; docs/RuntimeABI.md   *|
|* documents them. Contexts are independent: NAME_run may be called from      *|
|* several threads at once on different contexts, never on one.               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef QCC_C_QCC_H
#define QCC_C_QCC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every call. */
typedef enum qcc_status {
  QCC_OK = 0,
  QCC_ERROR_INVALID_ARGUMENT = 1, /* null pointer, bad index, bad count */
  QCC_ERROR_DTYPE = 2,            /* a tensor of the wrong element type */
  QCC_ERROR_SHAPE = 3,            /* a tensor of the wrong shape */
  QCC_ERROR_OUT_OF_MEMORY = 4,
  QCC_ERROR_RUNTIME = 5 /* a run-time error of the model (e.g. an index
                           out of range in a gather) */
} qcc_status;

/* Element types (the values of the ONNX-independent numbering below). */
typedef enum qcc_dtype {
  QCC_F32 = 0,
  QCC_I64 = 1,
  QCC_I32 = 2,
  QCC_I16 = 3,
  QCC_I8 = 4,
  QCC_U8 = 5,
  QCC_BOOL = 6
} qcc_dtype;

/* A tensor passed to or from a model: dense, row-major (C order). */
typedef struct qcc_tensor {
  void *data;
  qcc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
} qcc_tensor;

/* Description of a model input or output. */
typedef struct qcc_tensor_info {
  const char *name;
  qcc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  /* Real value = scale * (q - zero_point) for integer interfaces
     (qcc --io=int); scale is 0 for float and integer-valued tensors. */
  double scale;
  int64_t zero_point;
} qcc_tensor_info;

typedef struct qcc_context qcc_context;

/* Time spent in one op of the model (NAME_op_profile): the kernel calls the
   generated code makes, in program order. `name` is the ONNX node the op
   came from (the convolution or matmul of a fused linear layer), or the
   kernel's name for ops without one; `kernel` is the runtime kernel
   ("linear", "int_softmax", ...). `calls` and `total_ns` count the runs
   since profiling was last enabled on the context (wall-clock nanoseconds
   on CLOCK_MONOTONIC, the context's worker threads included); both are 0
   while profiling is off. */
typedef struct qcc_op_profile {
  const char *name;
  const char *kernel;
  int64_t calls;
  int64_t total_ns;
} qcc_op_profile;

#ifdef __cplusplus
}
#endif

#endif /* QCC_C_QCC_H */
