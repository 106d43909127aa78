/* Exercises the C API of the library generated for Inputs/make_mlp.py's
   model (prefix mlp): interface queries, a good run, and every input error
   an application can make, which must be error codes with messages. */
#include "mlp.h"

#include <stdio.h>
#include <string.h>

static void report(const char *what, qcc_context *ctx, qcc_status s) {
  printf("%s: %d %s\n", what, (int)s, s == QCC_OK ? "" : mlp_last_error(ctx));
}

int main(void) {
  printf("inputs %d outputs %d\n", mlp_num_inputs(), mlp_num_outputs());
  qcc_tensor_info in, out;
  if (mlp_input_info(0, &in) != QCC_OK || mlp_output_info(0, &out) != QCC_OK)
    return 1;
  printf("input '%s' dtype %d rank %d [%lld x %lld]\n", in.name, (int)in.dtype,
         in.rank, (long long)in.shape[0], (long long)in.shape[1]);
  printf("output '%s' dtype %d rank %d [%lld x %lld]\n", out.name,
         (int)out.dtype, out.rank, (long long)out.shape[0],
         (long long)out.shape[1]);
  printf("bad index: %d\n", (int)mlp_input_info(5, &in));
  qcc_context *ctx = NULL;
  if (mlp_create(&ctx) != QCC_OK)
    return 1;
  float x[4 * 16], y[4 * 4];
  for (int i = 0; i < 64; ++i)
    x[i] = (float)((i * 37) % 17 - 8) / 4.0f;
  qcc_tensor good_in = {x, QCC_F32, 2, in.shape};
  qcc_tensor good_out = {y, QCC_F32, 2, out.shape};
  report("good run", ctx, mlp_run(ctx, &good_in, 1, &good_out, 1));
  float sum = 0;
  for (int i = 0; i < 4; ++i)
    sum += y[i];
  printf("row 0 sums to %.2f\n", sum);

  qcc_tensor wrong_dtype = {x, QCC_I32, 2, in.shape};
  report("wrong dtype", ctx, mlp_run(ctx, &wrong_dtype, 1, &good_out, 1));
  int64_t shape[2] = {4, 15};
  qcc_tensor wrong_shape = {x, QCC_F32, 2, shape};
  report("wrong shape", ctx, mlp_run(ctx, &wrong_shape, 1, &good_out, 1));
  qcc_tensor wrong_rank = {x, QCC_F32, 1, shape};
  report("wrong rank", ctx, mlp_run(ctx, &wrong_rank, 1, &good_out, 1));
  qcc_tensor null_data = {NULL, QCC_F32, 2, in.shape};
  report("null data", ctx, mlp_run(ctx, &null_data, 1, &good_out, 1));
  report("wrong count", ctx, mlp_run(ctx, &good_in, 2, &good_out, 1));
  report("bad threads", ctx, mlp_set_num_threads(ctx, -3));
  report("two threads", ctx, mlp_set_num_threads(ctx, 2));
  printf("threads now %d\n", mlp_get_num_threads(ctx));
  report("good run again", ctx, mlp_run(ctx, &good_in, 1, &good_out, 1));

  /* Per-op profiles: names and kernels always, counts while enabled. */
  int32_t num_ops = mlp_num_ops();
  printf("ops %d\n", num_ops);
  report("profile on", ctx, mlp_enable_profiling(ctx, 1));
  for (int i = 0; i < 2; ++i)
    mlp_run(ctx, &good_in, 1, &good_out, 1);
  int64_t total_ns = 0;
  for (int32_t i = 0; i < num_ops; ++i) {
    qcc_op_profile p;
    if (mlp_op_profile(ctx, i, &p) != QCC_OK)
      return 1;
    printf("op %d: %s (%s) calls %lld\n", i, p.name, p.kernel,
           (long long)p.calls);
    total_ns += p.total_ns;
  }
  printf("profiled time positive: %d\n", total_ns > 0);
  qcc_op_profile p;
  report("op out of range", ctx, mlp_op_profile(ctx, num_ops, &p));
  report("profile off", ctx, mlp_enable_profiling(ctx, 0));
  mlp_op_profile(ctx, 0, &p);
  printf("calls after off: %lld\n", (long long)p.calls);
  mlp_destroy(ctx);
  return 0;
}
