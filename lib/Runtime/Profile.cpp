//===- Profile.cpp - per-op wall-clock profiles ---------------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The generated run function calls qcc_rt_op_done(ctx, i) after its i-th
// kernel call. While profiling is enabled on the context, each call adds the
// time since the previous op finished (or since qcc_rt_run started the
// graph) to op i. Kernels are synchronous (the caller waits for its
// workers), so an op's time is the wall-clock time of its kernel, the
// setting up of its descriptors included. Integer nanoseconds only.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

using namespace qcc_rt;

int64_t qcc_rt::getMonotonicNs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

extern "C" {

qcc_status qcc_rt_enable_profiling(qcc_context *ctx, int32_t enable) {
  if (!ctx)
    return QCC_ERROR_INVALID_ARGUMENT;
  if (!enable) {
    free(ctx->profile);
    ctx->profile = nullptr;
    return QCC_OK;
  }
  size_t count = static_cast<size_t>(ctx->model->num_ops) * 2;
  if (!ctx->profile) {
    ctx->profile =
        static_cast<int64_t *>(calloc(count ? count : 1, sizeof(int64_t)));
    if (!ctx->profile)
      return static_cast<qcc_status>(
          qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY,
                           "cannot allocate the profile of %lld ops",
                           (long long)ctx->model->num_ops));
  } else {
    memset(ctx->profile, 0, count * sizeof(int64_t));
  }
  return QCC_OK;
}

int32_t qcc_rt_num_ops(const qcc_rt_model *model) {
  return model ? static_cast<int32_t>(model->num_ops) : 0;
}

qcc_status qcc_rt_op_profile(const qcc_context *ctx, int32_t index,
                             qcc_op_profile *profile) {
  if (!ctx || !profile || index < 0 || index >= ctx->model->num_ops)
    return QCC_ERROR_INVALID_ARGUMENT;
  const qcc_rt_op &op = ctx->model->ops[index];
  profile->name = op.name;
  profile->kernel = op.kernel;
  profile->calls = ctx->profile ? ctx->profile[2 * index] : 0;
  profile->total_ns = ctx->profile ? ctx->profile[2 * index + 1] : 0;
  return QCC_OK;
}

void qcc_rt_op_done(qcc_rt_context *ctx, int64_t index) {
  if (!ctx || !ctx->profile || index < 0 || index >= ctx->model->num_ops)
    return;
  int64_t now = getMonotonicNs();
  ctx->profile[2 * index] += 1;
  ctx->profile[2 * index + 1] += now - ctx->profileLastNs;
  ctx->profileLastNs = now;
}

} // extern "C"
