//===- LayerBenchmark.cpp - time qcc's linear kernel on a layer -----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "LayerBenchmark.h"

#include "qcc/Runtime/PackedLinear.h"
#include "qcc/Runtime/RuntimeABI.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

struct AlignedFree {
  void operator()(void *p) const { std::free(p); }
};

int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

} // namespace

llvm::Expected<double>
mlir::qcc::measureLayerLatency(qcc_context *ctx, const LayerShape &shape,
                               const LayerConfig &config,
                               const LayerBenchmarkOptions &options) {
  std::mt19937 rng(20261124);
  auto fill = [&](std::vector<int8_t> &v, int64_t bits) {
    int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    std::uniform_int_distribution<int> dist(bits == 8 ? lo + 1 : lo, hi);
    for (int8_t &x : v)
      x = static_cast<int8_t>(dist(rng));
  };

  // The weights (MatMul k x n, Conv n x k), bias and per-channel dyadics.
  std::vector<int8_t> weights(static_cast<size_t>(shape.k * shape.n));
  fill(weights, config.weightBits);
  std::vector<int32_t> bias(shape.n), multiplier(shape.n), shift(shape.n);
  for (int64_t c = 0; c < shape.n; ++c) {
    bias[c] = static_cast<int32_t>(c * 37 % 1000) - 500;
    multiplier[c] = (1 << 30) + static_cast<int32_t>(c * 7919 % 65536);
    shift[c] = 40;
  }
  qcc_rt::LinearSpec spec;
  spec.kind = shape.kind == LayerShape::Kind::MatMul
                  ? qcc_rt::LinearKind::MatMul
                  : qcc_rt::LinearKind::Conv;
  spec.k = shape.k;
  spec.n = shape.n;
  spec.weights = weights.data();
  spec.weightBits = config.weightBits;
  spec.bias = bias.data();
  // Convolutions in the layout qcc packs them in by default (--direct-conv).
  if (shape.kind == LayerShape::Kind::Conv &&
      shape.dilations.size() == shape.kernel.size() &&
      shape.inputShape.size() > 1 &&
      qcc_rt::supportsDirectConv(static_cast<int64_t>(shape.kernel.size()),
                                 shape.group, shape.dilations.data()) &&
      qcc_rt::prefersDirectConv(shape.inputShape[1], product(shape.kernel)))
    spec.convChannels = shape.inputShape[1];
  spec.activationDtype = QCC_I8;
  spec.epilogue = qcc_rt::LinearEpilogue::Requant;
  spec.outputDtype = QCC_I8;
  spec.lo = -128;
  spec.hi = 127;
  spec.multiplier = multiplier.data();
  spec.shift = shift.data();
  spec.numScales = shape.n;
  if (const char *why = qcc_rt::checkLinearSpec(spec))
    return llvm::createStringError("cannot pack %s: %s", shape.getKey().c_str(),
                                   why);
  size_t blobBytes = (qcc_rt::getPackedLinearSize(spec) + 63) / 64 * 64;
  std::unique_ptr<uint8_t, AlignedFree> blob(
      static_cast<uint8_t *>(std::aligned_alloc(64, blobBytes)));
  if (!blob || !qcc_rt::packLinear(spec, blob.get()))
    return llvm::createStringError("cannot pack %s", shape.getKey().c_str());

  // Operands and attributes as the generated code passes them.
  SmallVector<int64_t, 4> xShape, yShape;
  SmallVector<int64_t> attrs;
  if (shape.kind == LayerShape::Kind::MatMul) {
    xShape = {shape.m, shape.k};
    yShape = {shape.m, shape.n};
  } else {
    xShape = shape.inputShape;
    yShape = shape.getConvOutputShape();
    attrs.push_back(shape.group);
    auto append = [&](ArrayRef<int64_t> values) {
      attrs.push_back(static_cast<int64_t>(values.size()));
      attrs.append(values.begin(), values.end());
    };
    append(shape.strides);
    append(shape.pads);
    append(shape.dilations);
    append(shape.kernel);
  }
  if (llvm::any_of(yShape, [](int64_t d) { return d <= 0; }))
    return llvm::createStringError("%s has an empty output",
                                   shape.getKey().c_str());
  std::vector<int8_t> x(static_cast<size_t>(product(xShape)));
  fill(x, config.activationBits);
  std::vector<int8_t> y(static_cast<size_t>(product(yShape)));
  int64_t blobShape[1] = {static_cast<int64_t>(blobBytes)};
  qcc_rt_tensor in[2] = {
      {x.data(), xShape.data(), static_cast<int64_t>(xShape.size()), QCC_I8},
      {blob.get(), blobShape, 1, QCC_U8}};
  qcc_rt_tensor out = {y.data(), yShape.data(),
                       static_cast<int64_t>(yShape.size()), QCC_I8};
  auto *rt = reinterpret_cast<qcc_rt_context *>(ctx);
  auto call = [&]() { return qcc_rt_linear(rt, in, 2, &out, attrs.data()); };
  if (call() != 0)
    return llvm::createStringError("qcc_rt_linear failed on %s: %s",
                                   shape.getKey().c_str(),
                                   qcc_rt_last_error(ctx));

  using Clock = std::chrono::steady_clock;
  std::vector<double> perCall;
  for (int r = 0; r < std::max(options.repeat, 1); ++r) {
    int64_t calls = 0;
    Clock::time_point start = Clock::now();
    double elapsed = 0;
    do {
      call();
      ++calls;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < options.minSeconds || calls < 3);
    perCall.push_back(elapsed / static_cast<double>(calls) * 1e3);
  }
  std::nth_element(perCall.begin(), perCall.begin() + perCall.size() / 2,
                   perCall.end());
  return perCall[perCall.size() / 2];
}
