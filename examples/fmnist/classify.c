/*===- classify.c - classify Fashion-MNIST images with a qcc library ------===*\
|*                                                                            *|
|* Part of the qcc project.                                                   *|
|*                                                                            *|
|* A plain C application linking the library qcc generates for the project's *|
|* Fashion-MNIST CNN:                                                         *|
|*                                                                            *|
|*   qcc test/models/cnn-op17.onnx --shape image=Bx1x28x28                    *|
|*       --calibration calib.npz -o DIR/libcnn.so          (writes DIR/cnn.h) *|
|*   cc -O2 -I DIR classify.c -L DIR -lcnn -Wl,-rpath,DIR -o classify         *|
|*   ./classify IMAGES.idx LABELS.idx [N]                                     *|
|*                                                                            *|
|* IMAGES/LABELS are the uncompressed IDX files of the test split. Prints    *|
|* the accuracy over the first N images (default all) and the latency of one *|
|* batch. Uses only the generated header's API.                               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "cnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The normalisation of test/models/common.py: (x / 255 - MEAN) / STD. */
#define MEAN 0.2860f
#define STD 0.3530f

static unsigned char *read_idx(const char *path, int expected_dims,
                               long *count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "classify: cannot open %s\n", path);
    return NULL;
  }
  unsigned char header[16];
  size_t header_size = 4 + 4 * (size_t)expected_dims;
  if (fread(header, 1, header_size, f) != header_size || header[0] ||
      header[1] || header[2] != 8 || header[3] != expected_dims) {
    fprintf(stderr, "classify: %s is not a %d-d unsigned-byte IDX file\n",
            path, expected_dims);
    fclose(f);
    return NULL;
  }
  long elements = 1;
  for (int d = 0; d < expected_dims; ++d) {
    long n = ((long)header[4 + 4 * d] << 24) | (header[5 + 4 * d] << 16) |
             (header[6 + 4 * d] << 8) | header[7 + 4 * d];
    if (d == 0)
      *count = n;
    elements *= n;
  }
  unsigned char *data = malloc((size_t)elements);
  if (!data || fread(data, 1, (size_t)elements, f) != (size_t)elements) {
    fprintf(stderr, "classify: %s is truncated\n", path);
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s IMAGES.idx LABELS.idx [N]\n", argv[0]);
    return 2;
  }
  long num_images = 0, num_labels = 0;
  unsigned char *images = read_idx(argv[1], 3, &num_images);
  unsigned char *labels = read_idx(argv[2], 1, &num_labels);
  if (!images || !labels)
    return 1;
  long n = num_images < num_labels ? num_images : num_labels;
  if (argc > 3 && atol(argv[3]) > 0 && atol(argv[3]) < n)
    n = atol(argv[3]);

  qcc_tensor_info in_info, out_info;
  if (cnn_input_info(0, &in_info) != QCC_OK ||
      cnn_output_info(0, &out_info) != QCC_OK || in_info.rank != 4 ||
      out_info.rank != 2) {
    fprintf(stderr, "classify: unexpected model interface\n");
    return 1;
  }
  const long batch = (long)in_info.shape[0];
  const long classes = (long)out_info.shape[1];
  float *input = malloc(sizeof(float) * (size_t)(batch * 28 * 28));
  float *logits = malloc(sizeof(float) * (size_t)(batch * classes));
  qcc_context *ctx = NULL;
  if (!input || !logits || cnn_create(&ctx) != QCC_OK) {
    fprintf(stderr, "classify: out of memory\n");
    return 1;
  }
  qcc_tensor in = {input, in_info.dtype, in_info.rank, in_info.shape};
  qcc_tensor out = {logits, out_info.dtype, out_info.rank, out_info.shape};

  long correct = 0, seen = 0;
  double best = 1e30, total = 0;
  for (long start = 0; start + batch <= n; start += batch) {
    for (long i = 0; i < batch * 28 * 28; ++i)
      input[i] = (images[start * 28 * 28 + i] / 255.0f - MEAN) / STD;
    double t0 = now_ms();
    if (cnn_run(ctx, &in, 1, &out, 1) != QCC_OK) {
      fprintf(stderr, "classify: %s\n", cnn_last_error(ctx));
      return 1;
    }
    double dt = now_ms() - t0;
    total += dt;
    if (dt < best)
      best = dt;
    for (long b = 0; b < batch; ++b) {
      long arg = 0;
      for (long c = 1; c < classes; ++c)
        if (logits[b * classes + c] > logits[b * classes + arg])
          arg = c;
      correct += arg == labels[start + b];
      ++seen;
    }
  }
  /* A wrong shape is an error code with a message, not a crash. */
  int64_t bad_shape[4] = {batch, 1, 27, 28};
  qcc_tensor bad = {input, in_info.dtype, 4, bad_shape};
  qcc_status status = cnn_run(ctx, &bad, 1, &out, 1);
  printf("accuracy: %.2f%% (%ld/%ld images, batch %ld)\n",
         seen ? 100.0 * correct / seen : 0.0, correct, seen, batch);
  printf("latency: %.3f ms per batch (best), %.3f ms mean\n", best,
         seen ? total / (seen / batch) : 0.0);
  printf("wrong input shape -> status %d: %s\n", (int)status,
         cnn_last_error(ctx));
  cnn_destroy(ctx);
  free(input);
  free(logits);
  free(images);
  free(labels);
  return 0;
}
