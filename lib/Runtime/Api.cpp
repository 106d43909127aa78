//===- Api.cpp - the generic qcc_rt_* API -----------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Contexts, argument validation and errors behind the generated NAME_*
// functions (docs/RuntimeABI.md). Every check reports a message naming the
// tensor and returns a qcc_status; nothing here aborts.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <new>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

using namespace qcc_rt;

namespace {

/// Checks one caller tensor against its descriptor; records the error.
qcc_status checkTensor(qcc_context *ctx, const qcc_tensor &t,
                       const qcc_rt_io &io, const char *what, int32_t index) {
  const char *name = io.name ? io.name : "";
  if (!t.data && getNumElements(io.shape, io.rank) > 0)
    return static_cast<qcc_status>(
        qcc_rt_set_error(ctx, QCC_ERROR_INVALID_ARGUMENT,
                         "%s %d ('%s'): data is null", what, index, name));
  if (static_cast<int64_t>(t.dtype) != io.dtype)
    return static_cast<qcc_status>(qcc_rt_set_error(
        ctx, QCC_ERROR_DTYPE, "%s %d ('%s'): dtype %s, expected %s", what,
        index, name, getDtypeName(t.dtype), getDtypeName(io.dtype)));
  if (static_cast<int64_t>(t.rank) != io.rank)
    return static_cast<qcc_status>(qcc_rt_set_error(
        ctx, QCC_ERROR_SHAPE, "%s %d ('%s'): rank %d, expected %lld", what,
        index, name, t.rank, (long long)io.rank));
  if (io.rank > 0 && !t.shape)
    return static_cast<qcc_status>(
        qcc_rt_set_error(ctx, QCC_ERROR_INVALID_ARGUMENT,
                         "%s %d ('%s'): shape is null", what, index, name));
  for (int64_t d = 0; d < io.rank; ++d)
    if (t.shape[d] != io.shape[d])
      return static_cast<qcc_status>(qcc_rt_set_error(
          ctx, QCC_ERROR_SHAPE,
          "%s %d ('%s'): dimension %lld is %lld, expected %lld", what, index,
          name, (long long)d, (long long)t.shape[d], (long long)io.shape[d]));
  return QCC_OK;
}

int32_t runNothing(qcc_rt_context *, uint8_t *, void *const *, void *const *) {
  return QCC_OK;
}

/// The model of qcc_rt_create_kernel_context: no tensors, no ops.
const qcc_rt_model kKernelOnlyModel = {
    QCC_RT_ABI_VERSION, 0, 0, nullptr, nullptr, 0, runNothing, 0, nullptr};

} // namespace

extern "C" {

int32_t qcc_rt_set_error(qcc_rt_context *ctx, int32_t status,
                         const char *format, ...) {
  if (!ctx)
    return status;
  va_list args;
  va_start(args, format);
  vsnprintf(ctx->error, kErrorCapacity, format, args);
  va_end(args);
  return status;
}

qcc_status qcc_rt_create(const qcc_rt_model *model, qcc_context **ctx) {
  if (!ctx)
    return QCC_ERROR_INVALID_ARGUMENT;
  *ctx = nullptr;
  if (!model || model->abi_version != QCC_RT_ABI_VERSION ||
      model->num_inputs < 0 || model->num_outputs < 0 ||
      model->arena_bytes < 0 || !model->run || model->num_ops < 0 ||
      (model->num_ops > 0 && !model->ops))
    return QCC_ERROR_INVALID_ARGUMENT;
  void *memory = calloc(1, sizeof(qcc_context));
  if (!memory)
    return QCC_ERROR_OUT_OF_MEMORY;
  auto *context = new (memory) qcc_context();
  context->model = model;
  context->numThreads = getDefaultNumThreads();
  // At least one cache line, so that run always gets a valid pointer.
  size_t arenaBytes = static_cast<size_t>(model->arena_bytes);
  arenaBytes = (arenaBytes + 63) / 64 * 64;
  if (arenaBytes == 0)
    arenaBytes = 64;
  void *arena = nullptr;
  if (posix_memalign(&arena, 64, arenaBytes) != 0)
    arena = nullptr;
  size_t numBuffers =
      static_cast<size_t>(model->num_inputs + model->num_outputs);
  context->buffers =
      static_cast<void **>(calloc(numBuffers ? numBuffers : 1, sizeof(void *)));
  if (!arena || !context->buffers) {
    free(arena);
    free(context->buffers);
    free(memory);
    return QCC_ERROR_OUT_OF_MEMORY;
  }
  context->arena = static_cast<uint8_t *>(arena);
  *ctx = context;
  return QCC_OK;
}

qcc_status qcc_rt_create_kernel_context(qcc_context **ctx) {
  return qcc_rt_create(&kKernelOnlyModel, ctx);
}

void qcc_rt_destroy(qcc_context *ctx) {
  if (!ctx)
    return;
  destroyPool(ctx);
  free(ctx->profile);
  free(ctx->scratch);
  free(ctx->arena);
  free(ctx->buffers);
  free(ctx);
}

qcc_status qcc_rt_run(qcc_context *ctx, const qcc_tensor *inputs,
                      int32_t num_inputs, const qcc_tensor *outputs,
                      int32_t num_outputs) {
  if (!ctx)
    return QCC_ERROR_INVALID_ARGUMENT;
  ctx->error[0] = '\0';
  const qcc_rt_model *model = ctx->model;
  if (num_inputs != model->num_inputs)
    return static_cast<qcc_status>(qcc_rt_set_error(
        ctx, QCC_ERROR_INVALID_ARGUMENT, "%d inputs given, the model has %lld",
        num_inputs, (long long)model->num_inputs));
  if (num_outputs != model->num_outputs)
    return static_cast<qcc_status>(qcc_rt_set_error(
        ctx, QCC_ERROR_INVALID_ARGUMENT, "%d outputs given, the model has %lld",
        num_outputs, (long long)model->num_outputs));
  if ((num_inputs > 0 && !inputs) || (num_outputs > 0 && !outputs))
    return static_cast<qcc_status>(qcc_rt_set_error(
        ctx, QCC_ERROR_INVALID_ARGUMENT, "the %s array is null",
        !inputs ? "inputs" : "outputs"));
  for (int32_t i = 0; i < num_inputs; ++i) {
    if (qcc_status s =
            checkTensor(ctx, inputs[i], model->inputs[i], "input", i))
      return s;
    ctx->buffers[i] = inputs[i].data;
  }
  for (int32_t i = 0; i < num_outputs; ++i) {
    if (qcc_status s =
            checkTensor(ctx, outputs[i], model->outputs[i], "output", i))
      return s;
    ctx->buffers[num_inputs + i] = outputs[i].data;
  }
  if (ctx->profile)
    ctx->profileLastNs = getMonotonicNs();
  int32_t status =
      model->run(ctx, ctx->arena, ctx->buffers, ctx->buffers + num_inputs);
  if (status != QCC_OK && ctx->error[0] == '\0')
    qcc_rt_set_error(ctx, status, "the model failed with status %d", status);
  return static_cast<qcc_status>(status);
}

qcc_status qcc_rt_info(const qcc_rt_model *model, int32_t is_output,
                       int32_t index, qcc_tensor_info *info) {
  if (!model || !info)
    return QCC_ERROR_INVALID_ARGUMENT;
  int64_t count = is_output ? model->num_outputs : model->num_inputs;
  if (index < 0 || index >= count)
    return QCC_ERROR_INVALID_ARGUMENT;
  const qcc_rt_io &io =
      is_output ? model->outputs[index] : model->inputs[index];
  info->name = io.name;
  info->dtype = static_cast<qcc_dtype>(io.dtype);
  info->rank = static_cast<int32_t>(io.rank);
  info->shape = io.shape;
  info->scale = io.scale;
  info->zero_point = io.zero_point;
  return QCC_OK;
}

const char *qcc_rt_last_error(const qcc_context *ctx) {
  if (!ctx)
    return "null context";
  return ctx->error;
}

qcc_status qcc_rt_set_num_threads(qcc_context *ctx, int32_t num_threads) {
  if (!ctx)
    return QCC_ERROR_INVALID_ARGUMENT;
  if (num_threads < 0)
    return static_cast<qcc_status>(
        qcc_rt_set_error(ctx, QCC_ERROR_INVALID_ARGUMENT,
                         "negative thread count %d", num_threads));
  int32_t n = num_threads == 0 ? getDefaultNumThreads() : num_threads;
  if (n > 1024)
    n = 1024;
  if (n != ctx->numThreads) {
    destroyPool(ctx);
    ctx->numThreads = n;
  }
  return QCC_OK;
}

int32_t qcc_rt_get_num_threads(const qcc_context *ctx) {
  return ctx ? ctx->numThreads : 0;
}

} // extern "C"
