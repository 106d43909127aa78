//===- RuntimeKernelTest.cpp - runtime kernels vs the interpreter -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Every kernel of the runtime archive (lib/Runtime, RuntimeABI.h) against
// the reference interpreter: each case is one qcc op in MLIR text, its
// attributes flattened to the kernel's int64 layout from the parsed op (as
// the compiler does), run by the interpreter and by the kernel on the same
// random inputs (type extremes, broadcasting, per-axis parameters, masks,
// padding), requiring bit-identical results on 1 and 3 threads, with the
// AVX-512 VNNI path allowed and disabled (QCC_DISABLE_VNNI). Run-time
// errors (division by zero, gather index) must be errors in both. Also
// qcc_rt_run's argument validation on a hand-written model.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Quant/IntegerMath.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringMap.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <time.h>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

using Ints = std::vector<int64_t>;
using Shape = std::vector<int64_t>;
using KernelFn = int32_t (*)(qcc_rt_context *, const qcc_rt_tensor *, int64_t,
                             const qcc_rt_tensor *, const int64_t *);

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string join(ArrayRef<int64_t> values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? ", " : "") + std::to_string(values[i]);
  return s;
}

std::string i64Array(ArrayRef<int64_t> v) {
  return v.empty() ? "array<i64>" : "array<i64: " + join(v) + ">";
}
std::string i32Array(ArrayRef<int64_t> v) {
  return v.empty() ? "array<i32>" : "array<i32: " + join(v) + ">";
}

std::string tensorType(const Shape &shape, ElementType type) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + getElementTypeName(type).str() + ">";
}

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::pair<int64_t, int64_t> rangeOf(ElementType type) {
  switch (type) {
  case ElementType::I8:
    return {INT8_MIN, INT8_MAX};
  case ElementType::UI8:
    return {0, UINT8_MAX};
  case ElementType::I16:
    return {INT16_MIN, INT16_MAX};
  case ElementType::I32:
    return {INT32_MIN, INT32_MAX};
  case ElementType::I1:
    return {0, 1};
  default:
    return {INT64_MIN, INT64_MAX};
  }
}

/// A random tensor: integers uniform over the type's range with the
/// extremes, 0 and +-1 mixed in; floats of mixed magnitudes with NaN,
/// infinities and halves.
Tensor randomTensor(std::mt19937_64 &rng, ElementType type,
                    const Shape &shape) {
  Tensor t = Tensor::allocate(type, shape);
  int64_t n = numElements(shape);
  std::uniform_int_distribution<int> pick(0, 15);
  if (type == ElementType::F32) {
    std::uniform_real_distribution<float> any(-300.0f, 300.0f);
    for (int64_t i = 0; i < n; ++i) {
      int p = pick(rng);
      float v = p == 0   ? NAN
                : p == 1 ? INFINITY
                : p == 2 ? -INFINITY
                : p == 3 ? std::round(any(rng)) + 0.5f
                : p == 4 ? 3e9f * (p % 2 ? 1 : -1)
                         : any(rng);
      t.getData<float>()[i] = v;
    }
    return t;
  }
  auto [lo, hi] = rangeOf(type);
  std::uniform_int_distribution<int64_t> any(lo, hi);
  for (int64_t i = 0; i < n; ++i) {
    int p = pick(rng);
    int64_t v = p == 0   ? lo
                : p == 1 ? hi
                : p == 2 ? std::clamp<int64_t>(0, lo, hi)
                : p == 3 ? std::clamp<int64_t>(1, lo, hi)
                : p == 4 ? std::clamp<int64_t>(-1, lo, hi)
                         : any(rng);
    switch (type) {
    case ElementType::I64:
      t.getData<int64_t>()[i] = v;
      break;
    case ElementType::I32:
      t.getData<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case ElementType::I16:
      t.getData<int16_t>()[i] = static_cast<int16_t>(v);
      break;
    case ElementType::I8:
      t.getData<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case ElementType::UI8:
      t.getData<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case ElementType::I1:
      t.getData<bool>()[i] = v != 0;
      break;
    case ElementType::F32:
      break;
    }
  }
  return t;
}

/// A tensor with values uniform in [lo, hi].
Tensor rangeTensor(std::mt19937_64 &rng, ElementType type, const Shape &shape,
                   int64_t lo, int64_t hi) {
  Tensor t = randomTensor(rng, type, shape);
  std::uniform_int_distribution<int64_t> any(lo, hi);
  for (int64_t i = 0; i < t.getNumElements(); ++i) {
    int64_t v = any(rng);
    switch (type) {
    case ElementType::I64:
      t.getData<int64_t>()[i] = v;
      break;
    case ElementType::I32:
      t.getData<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case ElementType::I16:
      t.getData<int16_t>()[i] = static_cast<int16_t>(v);
      break;
    case ElementType::I8:
      t.getData<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case ElementType::UI8:
      t.getData<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case ElementType::I1:
      t.getData<bool>()[i] = v != 0;
      break;
    case ElementType::F32:
      t.getData<float>()[i] = static_cast<float>(v);
      break;
    }
  }
  return t;
}

/// The qcc_rt_tensor view of `t` (shape storage in `shape`).
qcc_rt_tensor view(const Tensor &t) {
  return {const_cast<void *>(t.getRawData()), t.getShape().data(),
          static_cast<int64_t>(t.getShape().size()),
          static_cast<int64_t>(t.getElementType())};
}

uint64_t floatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

void appendCounted(Ints &attrs, ArrayRef<int64_t> values) {
  attrs.push_back(static_cast<int64_t>(values.size()));
  attrs.insert(attrs.end(), values.begin(), values.end());
}
void appendCounted(Ints &attrs, ArrayRef<int32_t> values) {
  attrs.push_back(static_cast<int64_t>(values.size()));
  attrs.insert(attrs.end(), values.begin(), values.end());
}
void appendValues(Ints &attrs, ArrayRef<int32_t> values) {
  attrs.insert(attrs.end(), values.begin(), values.end());
}

/// The range of a requant result, narrowed by min/max.
std::pair<int64_t, int64_t> clampRange(Value result,
                                       std::optional<uint64_t> min,
                                       std::optional<uint64_t> max) {
  auto type = cast<RankedTensorType>(result.getType());
  auto [lo, hi] = rangeOf(*getElementType(type.getElementType()));
  if (min)
    lo = std::max(lo, static_cast<int64_t>(*min));
  if (max)
    hi = std::min(hi, static_cast<int64_t>(*max));
  return {lo, hi};
}

/// The kernel and its flattened attrs for `op` (RuntimeABI.h layouts).
KernelFn flatten(Operation *op, Ints &a) {
  if (auto q = dyn_cast<QuantizeOp>(op)) {
    a.push_back(q.getAxis());
    appendCounted(a, q.getZeroPoints());
    for (float s : q.getScales())
      a.push_back(floatBits(s));
    return qcc_rt_quantize;
  }
  if (auto q = dyn_cast<DequantizeOp>(op)) {
    a.push_back(q.getAxis());
    appendCounted(a, q.getZeroPoints());
    for (float s : q.getScales())
      a.push_back(floatBits(s));
    return qcc_rt_dequantize;
  }
  if (auto c = dyn_cast<ConvOp>(op)) {
    a.push_back(c.getGroup());
    appendCounted(a, c.getStrides());
    appendCounted(a, c.getPads());
    appendCounted(a, c.getDilations());
    return qcc_rt_conv;
  }
  if (auto r = dyn_cast<RequantOp>(op)) {
    auto [lo, hi] = clampRange(r.getResult(), r.getMin(), r.getMax());
    a.insert(a.end(), {int64_t(r.getAxis()), int64_t(r.getInputZeroPoint()),
                       int64_t(r.getOutputZeroPoint()), lo, hi});
    appendCounted(a, r.getMultiplier());
    appendValues(a, r.getShift());
    return qcc_rt_requant;
  }
  if (auto r = dyn_cast<RequantAddOp>(op)) {
    auto [lo, hi] = clampRange(r.getResult(), r.getMin(), r.getMax());
    a.insert(a.end(), {int64_t(r.getAxis()), lo, hi});
    appendCounted(a, r.getLhsMultiplier());
    appendValues(a, r.getLhsShift());
    appendCounted(a, r.getRhsMultiplier());
    appendValues(a, r.getRhsShift());
    return qcc_rt_requant_add;
  }
  if (auto s = dyn_cast<IntSoftmaxOp>(op)) {
    a.insert(a.end(),
             {int64_t(int32_t(s.getInputBits())),
              int64_t(int32_t(s.getExpMultiplier())),
              int64_t(int32_t(s.getExpShift())), int64_t(s.getPolyB()),
              int64_t(s.getPolyC()), int64_t(int32_t(s.getE16Multiplier())),
              int64_t(int32_t(s.getE16Shift()))});
    return qcc_rt_int_softmax;
  }
  if (auto g = dyn_cast<IntGeluOp>(op)) {
    a.insert(a.end(), {int64_t(g.getClip()), int64_t(g.getOne()),
                       int64_t(int32_t(g.getErfShift())),
                       int64_t(int32_t(g.getOutputMultiplier())),
                       int64_t(int32_t(g.getOutputShift()))});
    return qcc_rt_int_gelu;
  }
  if (auto l = dyn_cast<IntLayerNormOp>(op)) {
    a.push_back(int32_t(l.getVarShift()));
    a.push_back(int64_t(l.getVarOffset()));
    appendCounted(a, l.getMultiplier());
    appendValues(a, l.getShift());
    appendValues(a, l.getBias());
    return qcc_rt_int_layer_norm;
  }
  if (auto l = dyn_cast<LookupOp>(op)) {
    appendCounted(a, l.getTable());
    return qcc_rt_lookup;
  }
  if (auto r = dyn_cast<ReduceSumOp>(op)) {
    a.push_back(r.getKeepdims());
    appendCounted(a, r.getAxes());
    return qcc_rt_reduce_sum;
  }
  if (auto r = dyn_cast<ReduceMaxOp>(op)) {
    a.push_back(r.getKeepdims());
    appendCounted(a, r.getAxes());
    return qcc_rt_reduce_max;
  }
  if (auto p = dyn_cast<MaxPoolOp>(op)) {
    appendCounted(a, p.getKernelShape());
    appendCounted(a, p.getStrides());
    appendCounted(a, p.getPads());
    appendCounted(a, p.getDilations());
    return qcc_rt_max_pool;
  }
  if (auto t = dyn_cast<TransposeOp>(op)) {
    appendCounted(a, t.getPermutation());
    return qcc_rt_transpose;
  }
  if (auto c = dyn_cast<ConcatOp>(op)) {
    a.push_back(c.getAxis());
    return qcc_rt_concat;
  }
  if (auto s = dyn_cast<SliceOp>(op)) {
    appendCounted(a, s.getStarts());
    a.insert(a.end(), s.getSteps().begin(), s.getSteps().end());
    return qcc_rt_slice;
  }
  if (auto g = dyn_cast<GatherOp>(op)) {
    a.push_back(g.getAxis());
    return qcc_rt_gather;
  }
  if (auto p = dyn_cast<PadOp>(op)) {
    a.push_back(static_cast<int64_t>(p.getMode()));
    appendCounted(a, p.getPads());
    int64_t value = 0;
    if (auto i = dyn_cast<IntegerAttr>(p.getValue()))
      value = i.getValue().getSExtValue();
    else if (auto f = dyn_cast<FloatAttr>(p.getValue()))
      value = floatBits(f.getValue().convertToFloat());
    a.push_back(value);
    return qcc_rt_pad;
  }
  static const llvm::StringMap<KernelFn> plain = {
      {"qcc.matmul", qcc_rt_matmul},
      {"qcc.add", qcc_rt_add},
      {"qcc.sub", qcc_rt_sub},
      {"qcc.mul", qcc_rt_mul},
      {"qcc.div", qcc_rt_div},
      {"qcc.less", qcc_rt_less},
      {"qcc.greater", qcc_rt_greater},
      {"qcc.where", qcc_rt_where},
      {"qcc.relu", qcc_rt_relu},
      {"qcc.cast", qcc_rt_cast},
      {"qcc.broadcast_to", qcc_rt_broadcast_to}};
  auto it = plain.find(op->getName().getStringRef());
  return it == plain.end() ? nullptr : it->second;
}

qcc_rt_context *asKernelContext(qcc_context *ctx) {
  // The same object (RuntimeABI.md).
  return reinterpret_cast<qcc_rt_context *>(ctx);
}

class RuntimeKernelTest : public ::testing::Test {
protected:
  RuntimeKernelTest() {
    DialectRegistry registry;
    registry.insert<QccDialect, func::FuncDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    EXPECT_EQ(qcc_rt_create_kernel_context(&rt), QCC_OK);
  }
  ~RuntimeKernelTest() override {
    qcc_rt_destroy(rt);
    unsetenv("QCC_DISABLE_VNNI");
  }

  /// Parses `func.func @main(args) -> result { op; return %r0 }`.
  func::FuncOp parseMain(const std::vector<std::string> &argTypes,
                         const std::string &resultType, const std::string &op) {
    std::string args;
    for (size_t i = 0; i < argTypes.size(); ++i)
      args += (i ? ", %a" : "%a") + std::to_string(i) + ": " + argTypes[i];
    std::string source = "func.func @main(" + args + ") -> " + resultType +
                         " {\n  " + op + "\n  return %r0 : " + resultType +
                         "\n}\n";
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      errors += diag.str() + "\n";
      return success();
    });
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << source << "\n" << errors;
    if (!module)
      return nullptr;
    return *module->getOps<func::FuncOp>().begin();
  }

  /// Runs `op` (defining %r0 from %a0, %a1, ...) in the interpreter and as
  /// its runtime kernel on `inputs`; requires identical bytes, or an error
  /// from both. Returns the kernel's status.
  int32_t check(const std::string &op, const std::vector<Tensor> &inputs,
                const std::string &resultType) {
    std::vector<std::string> argTypes;
    for (const Tensor &t : inputs)
      argTypes.push_back(tensorType(t.getShape().vec(), t.getElementType()));
    func::FuncOp fn = parseMain(argTypes, resultType, op);
    if (!fn)
      return -1;
    Operation *kernelOp = &fn.getBody().front().front();
    Ints attrs;
    KernelFn kernel = flatten(kernelOp, attrs);
    EXPECT_TRUE(kernel) << op;
    if (!kernel)
      return -1;
    errors.clear();
    FailureOr<SmallVector<Tensor>> expected;
    {
      ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
        errors += diag.str() + "\n";
        return success();
      });
      InterpreterOptions options;
      options.numThreads = 1;
      expected = interpretFunction(fn, inputs, options);
    }
    auto resultTensorType =
        cast<RankedTensorType>(kernelOp->getResult(0).getType());
    ElementType outType = *getElementType(resultTensorType.getElementType());
    Shape outShape(resultTensorType.getShape());
    // The kernel's inputs are the op's operands (arguments, maybe repeated).
    std::vector<qcc_rt_tensor> in;
    for (Value operand : kernelOp->getOperands())
      in.push_back(view(inputs[cast<BlockArgument>(operand).getArgNumber()]));
    int32_t first = -1;
    for (int vnni = 0; vnni < 2; ++vnni) {
      if (vnni)
        unsetenv("QCC_DISABLE_VNNI");
      else
        setenv("QCC_DISABLE_VNNI", "1", 1);
      for (int32_t threads : {1, 3}) {
        EXPECT_EQ(qcc_rt_set_num_threads(rt, threads), QCC_OK);
        Tensor out = Tensor::allocate(outType, outShape);
        std::memset(out.getRawData(), 0xa5, out.getSizeInBytes());
        qcc_rt_tensor o = view(out);
        int32_t status = kernel(asKernelContext(rt), in.data(), in.size(), &o,
                                attrs.empty() ? nullptr : attrs.data());
        if (first < 0)
          first = status;
        std::string where = op + " (threads " + std::to_string(threads) +
                            (vnni ? ", VNNI allowed)" : ", VNNI disabled)");
        if (failed(expected)) {
          EXPECT_NE(status, QCC_OK) << where << "\ninterpreter: " << errors;
          EXPECT_STRNE(qcc_rt_last_error(rt), "") << where;
          continue;
        }
        EXPECT_EQ(status, QCC_OK) << where << ": " << qcc_rt_last_error(rt);
        if (status != QCC_OK)
          continue;
        const Tensor &ref = (*expected)[0];
        EXPECT_EQ(ref.getSizeInBytes(), out.getSizeInBytes()) << where;
        if (ref.getSizeInBytes() != out.getSizeInBytes())
          continue;
        if (std::memcmp(ref.getRawData(), out.getRawData(),
                        out.getSizeInBytes()) != 0) {
          auto a = static_cast<const uint8_t *>(ref.getRawData());
          auto b = static_cast<const uint8_t *>(out.getRawData());
          size_t at = 0;
          while (a[at] == b[at])
            ++at;
          ADD_FAILURE() << where << ": first differing byte " << at << " of "
                        << out.getSizeInBytes() << " (" << int(a[at])
                        << " expected, " << int(b[at]) << ")";
        }
      }
    }
    return first;
  }

  /// Runs only the runtime kernel of `op` on `inputs` (no interpreter: for
  /// operands the kernels reject although the interpreter accepts them).
  /// Returns the kernel's status; the message is qcc_rt_last_error(rt).
  int32_t runKernel(const std::string &op, const std::vector<Tensor> &inputs,
                    const std::string &resultType) {
    std::vector<std::string> argTypes;
    for (const Tensor &t : inputs)
      argTypes.push_back(tensorType(t.getShape().vec(), t.getElementType()));
    func::FuncOp fn = parseMain(argTypes, resultType, op);
    if (!fn)
      return -1;
    Operation *kernelOp = &fn.getBody().front().front();
    Ints attrs;
    KernelFn kernel = flatten(kernelOp, attrs);
    EXPECT_TRUE(kernel) << op;
    if (!kernel)
      return -1;
    auto resultTensorType =
        cast<RankedTensorType>(kernelOp->getResult(0).getType());
    Tensor out =
        Tensor::allocate(*getElementType(resultTensorType.getElementType()),
                         Shape(resultTensorType.getShape()));
    std::vector<qcc_rt_tensor> in;
    for (Value operand : kernelOp->getOperands())
      in.push_back(view(inputs[cast<BlockArgument>(operand).getArgNumber()]));
    qcc_rt_tensor o = view(out);
    return kernel(asKernelContext(rt), in.data(), in.size(), &o,
                  attrs.empty() ? nullptr : attrs.data());
  }

  /// The kernel of `op` must reject its f32 operand or result: the runtime
  /// has no floating-point code outside quantize/dequantize.
  void expectRejectsFloat(const std::string &op,
                          const std::vector<Tensor> &inputs,
                          const std::string &resultType) {
    expectFloatError(runKernel(op, inputs, resultType), op);
  }
  void expectFloatError(int32_t status, const std::string &what) {
    EXPECT_EQ(status, QCC_ERROR_RUNTIME) << what;
    std::string message = qcc_rt_last_error(rt);
    EXPECT_NE(message.find("f32"), std::string::npos)
        << what << ": " << message;
    EXPECT_NE(message.find("integer-only"), std::string::npos)
        << what << ": " << message;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string errors;
  qcc_context *rt = nullptr;
  std::mt19937_64 rng{2024};
};

const ElementType kIntTypes[] = {ElementType::I8, ElementType::UI8,
                                 ElementType::I16, ElementType::I32,
                                 ElementType::I64};
const ElementType kStorageTypes[] = {ElementType::I8, ElementType::UI8,
                                     ElementType::I16, ElementType::I32};

std::string typeName(ElementType t) { return getElementTypeName(t).str(); }

/// `v` clamped to the range of `t` (zero points must fit their type).
std::string fit(ElementType t, int64_t v) {
  auto [lo, hi] = rangeOf(t);
  return std::to_string(std::clamp(v, lo, hi));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(RuntimeKernelTest, ArithmeticWithBroadcasting) {
  const std::pair<Shape, Shape> shapes[] = {
      {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {3, 1}}, {{1}, {2, 1, 5}},
      {{4, 1, 6}, {1, 5, 1}}, {{}, {7}},           {{3, 64, 70}, {70}}};
  for (ElementType t : kIntTypes) {
    for (const auto &[sa, sb] : shapes) {
      Shape out(std::max(sa.size(), sb.size()), 1);
      for (size_t d = 0; d < out.size(); ++d) {
        int64_t x =
            d + sa.size() >= out.size() ? sa[d + sa.size() - out.size()] : 1;
        int64_t y =
            d + sb.size() >= out.size() ? sb[d + sb.size() - out.size()] : 1;
        out[d] = std::max(x, y);
      }
      std::string types = "(" + tensorType(sa, t) + ", " + tensorType(sb, t) +
                          ") -> " + tensorType(out, t);
      Tensor a = randomTensor(rng, t, sa), b = randomTensor(rng, t, sb);
      for (const char *name : {"add", "sub", "mul"})
        EXPECT_EQ(
            check(std::string("%r0 = qcc.") + name + " %a0, %a1 : " + types,
                  {a, b}, tensorType(out, t)),
            QCC_OK);
      // Division: non-zero divisors (-1 and the minimum included).
      Tensor d = randomTensor(rng, t, sb);
      for (int64_t i = 0; i < d.getNumElements(); ++i) {
        auto *bytes =
            static_cast<uint8_t *>(d.getRawData()) + i * getElementSize(t);
        bool zero = true;
        for (size_t k = 0; k < getElementSize(t); ++k)
          zero &= bytes[k] == 0;
        if (zero)
          bytes[0] = 3;
      }
      EXPECT_EQ(check("%r0 = qcc.div %a0, %a1 : " + types, {a, d},
                      tensorType(out, t)),
                QCC_OK);
      std::string cmpTypes = "(" + tensorType(sa, t) + ", " +
                             tensorType(sb, t) + ") -> " +
                             tensorType(out, ElementType::I1);
      for (const char *name : {"less", "greater"})
        EXPECT_EQ(
            check(std::string("%r0 = qcc.") + name + " %a0, %a1 : " + cmpTypes,
                  {a, b}, tensorType(out, ElementType::I1)),
            QCC_OK);
    }
  }
}

TEST_F(RuntimeKernelTest, DivisionByZeroIsAnError) {
  Tensor a = randomTensor(rng, ElementType::I32, {2, 5});
  Tensor b = rangeTensor(rng, ElementType::I32, {5}, 1, 9);
  b.getData<int32_t>()[3] = 0;
  EXPECT_EQ(check("%r0 = qcc.div %a0, %a1 : (tensor<2x5xi32>, tensor<5xi32>) "
                  "-> tensor<2x5xi32>",
                  {a, b}, "tensor<2x5xi32>"),
            QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(rt)).find("division by zero"),
            std::string::npos);
}

TEST_F(RuntimeKernelTest, WhereAndReluOnIntegers) {
  for (ElementType t : kIntTypes) {
    Shape s = {4, 3, 50};
    Tensor a = randomTensor(rng, t, s);
    EXPECT_EQ(check("%r0 = qcc.relu %a0 : " + tensorType(s, t), {a},
                    tensorType(s, t)),
              QCC_OK);
    Tensor c = randomTensor(rng, ElementType::I1, {3, 1});
    Tensor f = randomTensor(rng, t, {50});
    EXPECT_EQ(check("%r0 = qcc.where %a0, %a1, %a2 : (tensor<3x1xi1>, " +
                        tensorType(s, t) + ", " + tensorType({50}, t) +
                        ") -> " + tensorType(s, t),
                    {c, a, f}, tensorType(s, t)),
              QCC_OK);
  }
}

TEST_F(RuntimeKernelTest, CastBetweenAllIntegerTypes) {
  const ElementType all[] = {ElementType::I64, ElementType::I32,
                             ElementType::I16, ElementType::I8,
                             ElementType::UI8, ElementType::I1};
  Shape s = {5, 37};
  for (ElementType from : all) {
    Tensor x = randomTensor(rng, from, s);
    for (ElementType to : all)
      EXPECT_EQ(check("%r0 = qcc.cast %a0 : " + tensorType(s, from) + " to " +
                          tensorType(s, to),
                      {x}, tensorType(s, to)),
                QCC_OK);
  }
}

TEST_F(RuntimeKernelTest, CopyMovesBytes) {
  Tensor x = randomTensor(rng, ElementType::I16, {3, 7});
  Tensor y = Tensor::zeros(ElementType::I16, {21});
  qcc_rt_tensor in = view(x), out = view(y);
  EXPECT_EQ(qcc_rt_copy(asKernelContext(rt), &in, 1, &out, nullptr), QCC_OK);
  EXPECT_EQ(x.getBytes(), y.getBytes());
  // Null context: serial, errors are only statuses.
  EXPECT_EQ(qcc_rt_copy(nullptr, &in, 1, &out, nullptr), QCC_OK);
  EXPECT_EQ(qcc_rt_copy(nullptr, &in, 2, &out, nullptr), QCC_ERROR_RUNTIME);
}

//===----------------------------------------------------------------------===//
// Boundary
//===----------------------------------------------------------------------===//

TEST_F(RuntimeKernelTest, QuantizeRoundsLikeTheInterpreterOnEveryKindOfFloat) {
  // Ties at every magnitude up to 2^24, the limits of exact rounding, signed
  // zeros, denormals, infinities, NaNs, and bit patterns spread over all of
  // the 2^32 (the interpreter uses nearbyintf).
  std::vector<float> values;
  for (int k = 0; k < 2048; ++k) {
    float v = static_cast<float>(k) + 0.5f;
    values.insert(values.end(), {v, -v, std::nextafter(v, 0.0f),
                                 std::nextafter(v, 1e30f)});
  }
  for (int e = 20; e <= 25; ++e)
    for (int d = -3; d <= 3; ++d) {
      float v = std::ldexp(1.0f, e) + static_cast<float>(d) * 0.5f;
      values.insert(values.end(), {v, -v});
    }
  values.insert(values.end(),
                {0.0f, -0.0f, 0.3f, -0.3f, 1e-45f, -1e-45f, 1e-40f,
                 std::numeric_limits<float>::infinity(),
                 -std::numeric_limits<float>::infinity(),
                 std::numeric_limits<float>::quiet_NaN(), 2147483520.0f,
                 -2147483648.0f, 3e9f, -3e9f});
  for (uint64_t bits = 0; bits < (uint64_t(1) << 32); bits += 65521) {
    float f;
    uint32_t b = static_cast<uint32_t>(bits);
    std::memcpy(&f, &b, 4);
    values.push_back(f);
  }
  Shape s = {static_cast<int64_t>(values.size())};
  Tensor x = Tensor::allocate(ElementType::F32, s);
  std::memcpy(x.getRawData(), values.data(), values.size() * 4);
  std::string f = tensorType(s, ElementType::F32);
  for (ElementType t : {ElementType::I8, ElementType::I32})
    for (const char *scale : {"1.0", "0.37", "3.0e-05"}) {
      std::string q = tensorType(s, t);
      EXPECT_EQ(check(std::string("%r0 = qcc.quantize %a0 {scales = "
                                  "array<f32: ") +
                          scale + ">, zero_points = array<i64: 3>} : " + f +
                          " to " + q,
                      {x}, q),
                QCC_OK)
          << scale;
    }
}

TEST_F(RuntimeKernelTest, QuantizeAndDequantizePerTensorAndPerAxis) {
  Shape s = {2, 3, 45};
  Tensor x = randomTensor(rng, ElementType::F32, s);
  for (ElementType t : kStorageTypes) {
    std::string q = tensorType(s, t), f = tensorType(s, ElementType::F32);
    EXPECT_EQ(check("%r0 = qcc.quantize %a0 {scales = array<f32: 0.5>, "
                    "zero_points = array<i64: " +
                        fit(t, -3) + ">} : " + f + " to " + q,
                    {x}, q),
              QCC_OK);
    EXPECT_EQ(check("%r0 = qcc.quantize %a0 {axis = 1 : i64, scales = "
                    "array<f32: 0.25, 1.0, 0.0137>, zero_points = array<i64: " +
                        fit(t, 128) + ", 0, 7>} : " + f + " to " + q,
                    {x}, q),
              QCC_OK);
    Tensor y = randomTensor(rng, t, s);
    EXPECT_EQ(check("%r0 = qcc.dequantize %a0 {scales = array<f32: 0.013>, "
                    "zero_points = array<i64: 5>} : " +
                        q + " to " + f,
                    {y}, f),
              QCC_OK);
    EXPECT_EQ(check(
                  "%r0 = qcc.dequantize %a0 {axis = 2 : i64, scales = "
                  "array<f32: " +
                      [] {
                        std::string v;
                        for (int i = 0; i < 45; ++i)
                          v += (i ? ", " : "") + std::to_string(0.01 * (i + 1));
                        return v;
                      }() +
                      ">, zero_points = " +
                      [t] {
                        Ints z;
                        for (int i = 0; i < 45; ++i)
                          z.push_back(i * 5 - 20);
                        for (int64_t &v : z)
                          v = std::stoll(fit(t, v));
                        return i64Array(z);
                      }() +
                      "} : " + q + " to " + f,
                  {y}, f),
              QCC_OK);
  }
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

TEST_F(RuntimeKernelTest, MatMulShapesAndTypes) {
  const std::pair<ElementType, ElementType> types[] = {
      {ElementType::UI8, ElementType::I8},
      {ElementType::I8, ElementType::I8},
      {ElementType::I8, ElementType::UI8},
      {ElementType::UI8, ElementType::UI8},
      {ElementType::I32, ElementType::I32}};
  struct Case {
    Shape a, b, out;
  };
  const Case cases[] = {{{5, 7}, {7, 9}, {5, 9}},
                        {{2, 3, 5, 7}, {7, 9}, {2, 3, 5, 9}},
                        {{2, 1, 5, 7}, {3, 7, 9}, {2, 3, 5, 9}},
                        {{7}, {7, 9}, {9}},
                        {{5, 7}, {7}, {5}},
                        {{3, 20, 40}, {3, 40, 72}, {3, 20, 72}},
                        {{67, 301}, {301, 133}, {67, 133}},
                        {{2, 37, 260}, {2, 260, 600}, {2, 37, 600}},
                        // Attention's per-head products, enough of them to
                        // be shared out over the threads, with n and k not
                        // multiples of 16 or 4 too.
                        {{2, 7, 128, 64}, {2, 7, 64, 128}, {2, 7, 128, 128}},
                        {{13, 33, 18}, {13, 18, 35}, {13, 33, 35}}};
  for (auto [ta, tb] : types)
    for (const Case &c : cases) {
      Tensor a = randomTensor(rng, ta, c.a), b = randomTensor(rng, tb, c.b);
      EXPECT_EQ(check("%r0 = qcc.matmul %a0, %a1 : (" + tensorType(c.a, ta) +
                          ", " + tensorType(c.b, tb) + ") -> " +
                          tensorType(c.out, ElementType::I32),
                      {a, b}, tensorType(c.out, ElementType::I32)),
                QCC_OK);
    }
}

TEST_F(RuntimeKernelTest, ConvGeometriesAndTypes) {
  const std::pair<ElementType, ElementType> types[] = {
      {ElementType::UI8, ElementType::I8},
      {ElementType::I8, ElementType::I8},
      {ElementType::I8, ElementType::UI8},
      {ElementType::UI8, ElementType::UI8},
      {ElementType::I32, ElementType::I32}};
  struct Case {
    Shape x, w;
    Ints strides, pads, dilations;
    int64_t group;
  };
  const Case cases[] = {
      // 3x3 same padding, a 1x1 direct, stride 2 with asymmetric pads,
      // dilation, groups, depthwise, 1-D and 3-D.
      {{2, 8, 12, 12}, {16, 8, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1},
      {{1, 16, 9, 10}, {24, 16, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1},
      {{2, 4, 11, 9}, {6, 2, 3, 3}, {2, 2}, {1, 0, 2, 1}, {1, 1}, 2},
      {{1, 3, 13, 13}, {5, 3, 3, 2}, {1, 3}, {2, 2, 2, 2}, {2, 3}, 1},
      {{1, 6, 10, 10}, {6, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 6},
      {{2, 5, 40}, {7, 5, 4}, {3}, {2, 1}, {2}, 1},
      {{1, 2, 5, 6, 4},
       {3, 2, 2, 3, 2},
       {1, 2, 1},
       {1, 0, 1, 0, 1, 0},
       {1, 1, 2},
       1},
  };
  for (auto [tx, tw] : types)
    for (const Case &c : cases)
      for (bool withBias : {false, true}) {
        size_t n = c.x.size() - 2;
        Shape out = {c.x[0], c.w[0]};
        for (size_t d = 0; d < n; ++d)
          out.push_back((c.x[d + 2] + c.pads[d] + c.pads[d + n] -
                         c.dilations[d] * (c.w[d + 2] - 1) - 1) /
                            c.strides[d] +
                        1);
        std::vector<Tensor> in = {randomTensor(rng, tx, c.x),
                                  randomTensor(rng, tw, c.w)};
        std::string types = tensorType(c.x, tx) + ", " + tensorType(c.w, tw);
        if (withBias) {
          in.push_back(randomTensor(rng, ElementType::I32, {c.w[0]}));
          types += ", " + tensorType({c.w[0]}, ElementType::I32);
        }
        std::string outT = tensorType(out, ElementType::I32);
        EXPECT_EQ(check(std::string("%r0 = qcc.conv %a0, %a1") +
                            (withBias ? ", %a2" : "") +
                            " {dilations = " + i64Array(c.dilations) +
                            ", group = " + std::to_string(c.group) +
                            " : i64, pads = " + i64Array(c.pads) +
                            ", strides = " + i64Array(c.strides) + "} : (" +
                            types + ") -> " + outT,
                        in, outT),
                  QCC_OK);
      }
}

//===----------------------------------------------------------------------===//
// Integer-only ops
//===----------------------------------------------------------------------===//

/// n random dyadic rescales: realistic ratios, sign flips, anything.
std::pair<Ints, Ints> randomDyadics(std::mt19937_64 &rng, size_t n) {
  std::uniform_int_distribution<int32_t> anyMultiplier(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> anyShift(0, 63);
  std::uniform_real_distribution<double> logRatio(std::log(1e-9),
                                                  std::log(1e3));
  std::uniform_int_distribution<int> pick(0, 3);
  Ints m, s;
  for (size_t i = 0; i < n; ++i) {
    int p = pick(rng);
    if (p == 0) {
      m.push_back(anyMultiplier(rng));
      s.push_back(anyShift(rng));
      continue;
    }
    Dyadic dy = *makeDyadic(std::exp(logRatio(rng)));
    m.push_back(p == 1 ? -int64_t(dy.multiplier) : dy.multiplier);
    s.push_back(dy.shift);
  }
  return {m, s};
}

TEST_F(RuntimeKernelTest, RequantPerTensorAndPerAxis) {
  const Shape s = {3, 4, 50};
  for (ElementType in : kIntTypes)
    for (ElementType out : kStorageTypes)
      for (int trial = 0; trial < 4; ++trial) {
        int64_t axis = trial % 3;
        size_t params = trial == 0 ? 1 : s[axis];
        auto [m, sh] = randomDyadics(rng, params);
        std::string attrs =
            "axis = " + std::to_string(axis) +
            " : i64, input_zero_point = " + fit(in, trial * 7 - 5) +
            " : i64, multiplier = " + i32Array(m) +
            ", output_zero_point = " + fit(out, 3 - trial) +
            " : i64, shift = " + i32Array(sh);
        if (trial == 3)
          attrs += ", max = 100 : i64, min = -20 : i64";
        if (out == ElementType::UI8 && trial == 3)
          attrs = attrs.substr(0, attrs.find(", max")) +
                  ", max = 100 : i64, min = 20 : i64";
        EXPECT_EQ(check("%r0 = qcc.requant %a0 {" + attrs + "} : " +
                            tensorType(s, in) + " to " + tensorType(s, out),
                        {randomTensor(rng, in, s)}, tensorType(s, out)),
                  QCC_OK);
      }
}

TEST_F(RuntimeKernelTest, RequantAdd) {
  const Shape s = {2, 5, 30};
  for (ElementType l : kStorageTypes)
    for (ElementType r : {ElementType::I8, ElementType::I32})
      for (ElementType out : kStorageTypes)
        for (int trial = 0; trial < 2; ++trial) {
          size_t params = trial ? s[1] : 1;
          auto [lm, ls] = randomDyadics(rng, params);
          auto [rm, rs] = randomDyadics(rng, trial ? 1 : 1);
          std::string attrs =
              "axis = 1 : i64, lhs_multiplier = " + i32Array(lm) +
              ", lhs_shift = " + i32Array(ls) +
              ", rhs_multiplier = " + i32Array(rm) +
              ", rhs_shift = " + i32Array(rs);
          EXPECT_EQ(check("%r0 = qcc.requant_add %a0, %a1 {" + attrs + "} : (" +
                              tensorType(s, l) + ", " + tensorType(s, r) +
                              ") -> " + tensorType(s, out),
                          {randomTensor(rng, l, s), randomTensor(rng, r, s)},
                          tensorType(s, out)),
                    QCC_OK);
        }
}

std::string softmaxAttrs(const IntSoftmaxParams &p) {
  return "e16_multiplier = " + std::to_string(p.toE16.multiplier) +
         " : i32, e16_shift = " + std::to_string(p.toE16.shift) +
         " : i32, exp_multiplier = " + std::to_string(p.toExpScale.multiplier) +
         " : i32, exp_shift = " + std::to_string(p.toExpScale.shift) +
         " : i32, input_bits = " + std::to_string(p.inputBits) +
         " : i32, poly_b = " + std::to_string(p.polyB) +
         " : i64, poly_c = " + std::to_string(p.polyC) + " : i64";
}

TEST_F(RuntimeKernelTest, IntSoftmaxWithAndWithoutMask) {
  const Shape s = {3, 2, 5, 19};
  const ElementType maskTypes[] = {ElementType::I1, ElementType::I64,
                                   ElementType::UI8, ElementType::I32};
  for (ElementType in : {ElementType::I8, ElementType::UI8, ElementType::I16,
                         ElementType::I32}) {
    int width = in == ElementType::I32 ? 32 : in == ElementType::I16 ? 16 : 8;
    for (int variant = 0; variant < 5; ++variant) {
      IntSoftmaxParams p = *makeIntSoftmaxParams(
          16.0 / std::ldexp(1.0, width) * (1 + variant), width);
      std::string inT = tensorType(s, in),
                  outT = tensorType(s, ElementType::UI8);
      Tensor x = randomTensor(rng, in, s);
      if (variant == 0) {
        EXPECT_EQ(check("%r0 = qcc.int_softmax %a0 {" + softmaxAttrs(p) +
                            "} : " + inT + " to " + outT,
                        {x}, outT),
                  QCC_OK);
        continue;
      }
      ElementType mt = maskTypes[variant - 1];
      Tensor mask = randomTensor(rng, mt, {3, 19});
      std::string maskT = tensorType({3, 19}, mt);
      EXPECT_EQ(check("%r0 = qcc.int_softmax %a0 key_mask %a1 : " + maskT +
                          " {" + softmaxAttrs(p) + "} : " + inT + " to " + outT,
                      {x, mask}, outT),
                QCC_OK);
    }
  }
}

TEST_F(RuntimeKernelTest, IntSoftmaxReportsABrokenInputBitsPromise) {
  IntSoftmaxParams p = *makeIntSoftmaxParams(1e-3, 16);
  Tensor x = rangeTensor(rng, ElementType::I32, {2, 8}, -100, 100);
  x.getData<int32_t>()[9] = 1 << 20;
  EXPECT_EQ(check("%r0 = qcc.int_softmax %a0 {" + softmaxAttrs(p) +
                      "} : tensor<2x8xi32> to tensor<2x8xui8>",
                  {x}, "tensor<2x8xui8>"),
            QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(rt)).find("row 1"), std::string::npos)
      << qcc_rt_last_error(rt);
}

TEST_F(RuntimeKernelTest, IntGeluAndIntLayerNorm) {
  const Shape s = {4, 3, 33};
  for (ElementType in : kStorageTypes)
    for (ElementType out : kStorageTypes) {
      IGeluParams g = *makeIGeluParams(1e-3);
      Dyadic rescale = *makeDyadic(g.outScale * 100);
      std::string attrs =
          "clip = " + std::to_string(g.clip) +
          " : i64, erf_shift = " + std::to_string(g.erfShift) +
          " : i32, one = " + std::to_string(g.one) +
          " : i64, output_multiplier = " + std::to_string(rescale.multiplier) +
          " : i32, output_shift = " + std::to_string(rescale.shift) + " : i32";
      EXPECT_EQ(check("%r0 = qcc.int_gelu %a0 {" + attrs + "} : " +
                          tensorType(s, in) + " to " + tensorType(s, out),
                      {randomTensor(rng, in, s)}, tensorType(s, out)),
                QCC_OK);
      // Enough 8-bit elements for the kernel to tabulate its input range.
      const Shape big = {64, 40};
      EXPECT_EQ(check("%r0 = qcc.int_gelu %a0 {" + attrs + "} : " +
                          tensorType(big, in) + " to " + tensorType(big, out),
                      {randomTensor(rng, in, big)}, tensorType(big, out)),
                QCC_OK);
      for (int variant = 0; variant < 2; ++variant) {
        size_t params = variant ? s.back() : 1;
        auto [m, sh] = randomDyadics(rng, params);
        Ints bias;
        std::uniform_int_distribution<int64_t> anyBias(INT32_MIN, INT32_MAX);
        for (size_t i = 0; i < params; ++i)
          bias.push_back(anyBias(rng));
        std::string ln =
            "bias = " + i32Array(bias) + ", multiplier = " + i32Array(m) +
            ", shift = " + i32Array(sh) +
            ", var_offset = " + std::to_string(variant * 77) +
            " : i64, var_shift = " + std::to_string(variant * 3) + " : i32";
        Tensor x = randomTensor(rng, in, s);
        EXPECT_EQ(check("%r0 = qcc.int_layer_norm %a0 {" + ln + "} : " +
                            tensorType(s, in) + " to " + tensorType(s, out),
                        {x}, tensorType(s, out)),
                  QCC_OK);
      }
    }
}

TEST_F(RuntimeKernelTest, Lookup) {
  for (ElementType in : {ElementType::I8, ElementType::UI8})
    for (ElementType out : kStorageTypes) {
      // Entries within the result type, its extremes included.
      auto [lo, hi] = rangeOf(out);
      std::uniform_int_distribution<int64_t> entry(lo, hi);
      Ints table;
      for (int i = 0; i < 256; ++i)
        table.push_back(i == 0 ? lo : i == 255 ? hi : entry(rng));
      Shape s = {7, 300};
      EXPECT_EQ(check("%r0 = qcc.lookup %a0 {table = " + i32Array(table) +
                          "} : " + tensorType(s, in) + " to " +
                          tensorType(s, out),
                      {randomTensor(rng, in, s)}, tensorType(s, out)),
                QCC_OK);
    }
}

//===----------------------------------------------------------------------===//
// Reductions and pooling
//===----------------------------------------------------------------------===//

TEST_F(RuntimeKernelTest, ReduceSumAndMax) {
  const Shape s = {3, 4, 5, 6};
  const std::pair<Ints, bool> cases[] = {{{3}, true},     {{1, 2}, false},
                                         {{0, 3}, true},  {{0, 1, 2, 3}, false},
                                         {{0, 2}, false}, {{}, true}};
  for (ElementType t : {ElementType::I8, ElementType::UI8, ElementType::I16,
                        ElementType::I32, ElementType::I64})
    for (const auto &[axes, keep] : cases) {
      Shape out;
      for (int64_t d = 0; d < 4; ++d) {
        bool reduced = std::find(axes.begin(), axes.end(), d) != axes.end();
        if (!reduced)
          out.push_back(s[d]);
        else if (keep)
          out.push_back(1);
      }
      for (const char *name : {"reduce_sum", "reduce_max"})
        EXPECT_EQ(check(std::string("%r0 = qcc.") + name +
                            " %a0 {axes = " + i64Array(axes) + ", keepdims = " +
                            (keep ? "true" : "false") + "} : (" +
                            tensorType(s, t) + ") -> " + tensorType(out, t),
                        {randomTensor(rng, t, s)}, tensorType(out, t)),
                  QCC_OK);
    }
}

TEST_F(RuntimeKernelTest, MaxPool) {
  struct Case {
    Shape x;
    Ints kernel, strides, pads, dilations;
  };
  const Case cases[] = {
      {{2, 3, 9, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}},
      {{1, 2, 8, 7}, {2, 2}, {2, 2}, {0, 0, 1, 1}, {1, 1}},
      {{1, 2, 10, 11}, {3, 2}, {1, 3}, {2, 0, 2, 1}, {2, 2}},
      {{2, 3, 20}, {4}, {3}, {3, 3}, {1}},
      {{1, 2, 4, 5, 6}, {2, 3, 2}, {1, 2, 2}, {1, 0, 1, 1, 1, 0}, {1, 1, 2}},
      // Windows entirely in padding (the first row and column).
      {{1, 2, 4, 4}, {2, 2}, {3, 3}, {2, 2, 2, 2}, {1, 1}},
      // ResNet's stem pool, split across threads.
      {{1, 8, 112, 112}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}},
      // Rows too wide for the separable path's scratch (generic loop).
      {{1, 1, 2, 20000}, {2, 3}, {1, 2}, {1, 1, 1, 1}, {1, 1}},
  };
  for (ElementType t :
       {ElementType::I8, ElementType::UI8, ElementType::I16, ElementType::I32})
    for (const Case &c : cases) {
      size_t n = c.kernel.size();
      Shape out = {c.x[0], c.x[1]};
      for (size_t d = 0; d < n; ++d)
        out.push_back((c.x[d + 2] + c.pads[d] + c.pads[d + n] -
                       c.dilations[d] * (c.kernel[d] - 1) - 1) /
                          c.strides[d] +
                      1);
      EXPECT_EQ(
          check("%r0 = qcc.max_pool %a0 {dilations = " + i64Array(c.dilations) +
                    ", kernel_shape = " + i64Array(c.kernel) + ", pads = " +
                    i64Array(c.pads) + ", strides = " + i64Array(c.strides) +
                    "} : (" + tensorType(c.x, t) + ") -> " + tensorType(out, t),
                {randomTensor(rng, t, c.x)}, tensorType(out, t)),
          QCC_OK);
    }
}

//===----------------------------------------------------------------------===//
// No floating point outside the boundary
//===----------------------------------------------------------------------===//

// The integer graph has f32 only at quantize/dequantize, and the runtime has
// floating-point code nowhere else (test/Integration/CPU/no-float.test): every
// other kernel that computes on elements rejects f32 (data movement kernels
// move bytes of any type).
TEST_F(RuntimeKernelTest, FloatOperandsAreErrorsOutsideTheBoundary) {
  Tensor x = randomTensor(rng, ElementType::F32, {3, 40});
  Tensor y = randomTensor(rng, ElementType::F32, {40});
  Tensor i = randomTensor(rng, ElementType::I32, {3, 40});
  for (const char *name : {"add", "sub", "mul", "div"})
    expectRejectsFloat(std::string("%r0 = qcc.") + name +
                           " %a0, %a1 : (tensor<3x40xf32>, tensor<40xf32>) -> "
                           "tensor<3x40xf32>",
                       {x, y}, "tensor<3x40xf32>");
  for (const char *name : {"less", "greater"})
    expectRejectsFloat(std::string("%r0 = qcc.") + name +
                           " %a0, %a1 : (tensor<3x40xf32>, tensor<40xf32>) -> "
                           "tensor<3x40xi1>",
                       {x, y}, "tensor<3x40xi1>");
  expectRejectsFloat("%r0 = qcc.relu %a0 : tensor<3x40xf32>", {x},
                     "tensor<3x40xf32>");
  expectRejectsFloat(
      "%r0 = qcc.cast %a0 : tensor<3x40xf32> to tensor<3x40xi32>", {x},
      "tensor<3x40xi32>");
  expectRejectsFloat(
      "%r0 = qcc.cast %a0 : tensor<3x40xi32> to tensor<3x40xf32>", {i},
      "tensor<3x40xf32>");
  for (const char *name : {"reduce_sum", "reduce_max"})
    expectRejectsFloat(std::string("%r0 = qcc.") + name +
                           " %a0 {axes = array<i64: 1>, keepdims = false} : "
                           "(tensor<3x40xf32>) -> tensor<3xf32>",
                       {x}, "tensor<3xf32>");
  Tensor image = randomTensor(rng, ElementType::F32, {1, 2, 6, 6});
  expectRejectsFloat("%r0 = qcc.max_pool %a0 {dilations = array<i64: 1, 1>, "
                     "kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, "
                     "0, 0>, strides = array<i64: 2, 2>} : "
                     "(tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32>",
                     {image}, "tensor<1x2x3x3xf32>");
  // The op verifier already rejects a float key_mask; the kernel does too.
  IntSoftmaxParams p = *makeIntSoftmaxParams(1e-3, 32);
  Tensor scores = randomTensor(rng, ElementType::I32, {3, 2, 5, 40});
  Tensor probs = Tensor::allocate(ElementType::UI8, {3, 2, 5, 40});
  Ints attrs = {
      p.inputBits, p.toExpScale.multiplier, p.toExpScale.shift, p.polyB,
      p.polyC,     p.toE16.multiplier,      p.toE16.shift};
  qcc_rt_tensor in[2] = {view(scores), view(x)}, out = view(probs);
  expectFloatError(
      qcc_rt_int_softmax(asKernelContext(rt), in, 2, &out, attrs.data()),
      "int_softmax with an f32 key_mask");
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

TEST_F(RuntimeKernelTest, ByteTransposesInBlocks) {
  // Byte matrices of 16 x 16 blocks and partial ones (stridedCopy's blocked
  // path), as attention transposes K: (0, 2, 3, 1) and (0, 1, 3, 2).
  struct Case {
    Shape in;
    Ints perm;
  };
  const Case cases[] = {{{2, 37, 3, 50}, {0, 2, 3, 1}},
                        {{2, 3, 64, 128}, {0, 1, 3, 2}},
                        {{16, 16}, {1, 0}},
                        {{15, 40}, {1, 0}},
                        {{33, 17}, {1, 0}},
                        {{3, 18, 5, 16}, {3, 1, 0, 2}}};
  for (ElementType t : {ElementType::I8, ElementType::UI8})
    for (const Case &c : cases) {
      Shape out;
      for (int64_t d : c.perm)
        out.push_back(c.in[d]);
      Tensor x = randomTensor(rng, t, c.in);
      std::string perm;
      for (int64_t d : c.perm)
        perm += (perm.empty() ? "" : ", ") + std::to_string(d);
      EXPECT_EQ(check("%r0 = qcc.transpose %a0 {permutation = array<i64: " +
                          perm + ">} : (" + tensorType(c.in, t) + ") -> " +
                          tensorType(out, t),
                      {x}, tensorType(out, t)),
                QCC_OK);
    }
}

TEST_F(RuntimeKernelTest, DataMovement) {
  for (ElementType t : {ElementType::I8, ElementType::I16, ElementType::I32,
                        ElementType::I64, ElementType::F32, ElementType::I1}) {
    Shape s = {2, 3, 4, 5};
    Tensor x = randomTensor(rng, t, s);
    auto ty = [&](const Shape &shape) { return tensorType(shape, t); };
    EXPECT_EQ(check("%r0 = qcc.transpose %a0 {permutation = array<i64: 2, 0, "
                    "3, 1>} : (" +
                        ty(s) + ") -> " + ty({4, 2, 5, 3}),
                    {x}, ty({4, 2, 5, 3})),
              QCC_OK);
    Tensor y = randomTensor(rng, t, {2, 1, 4, 5});
    EXPECT_EQ(check("%r0 = qcc.concat %a0, %a1, %a0 {axis = 1 : i64} : (" +
                        ty(s) + ", " + ty({2, 1, 4, 5}) + ", " + ty(s) +
                        ") -> " + ty({2, 7, 4, 5}),
                    {x, y}, ty({2, 7, 4, 5})),
              QCC_OK);
    EXPECT_EQ(check("%r0 = qcc.slice %a0 {ends = array<i64: 2, 3, -1, 5>, "
                    "starts = array<i64: 1, 0, 3, 1>, steps = array<i64: 1, 2, "
                    "-2, 3>} : (" +
                        ty(s) + ") -> " + ty({1, 2, 2, 2}),
                    {x}, ty({1, 2, 2, 2})),
              QCC_OK);
    for (ElementType it : {ElementType::I32, ElementType::I64}) {
      Tensor ids = rangeTensor(rng, it, {2, 3}, -4, 3);
      EXPECT_EQ(check("%r0 = qcc.gather %a0, %a1 {axis = 2 : i64} : (" + ty(s) +
                          ", " + tensorType({2, 3}, it) + ") -> " +
                          ty({2, 3, 2, 3, 5}),
                      {x, ids}, ty({2, 3, 2, 3, 5})),
                QCC_OK);
    }
    Tensor small = randomTensor(rng, t, {3, 1, 5});
    EXPECT_EQ(check("%r0 = qcc.broadcast_to %a0 : " + ty({3, 1, 5}) + " -> " +
                        ty({2, 3, 4, 5}),
                    {small}, ty({2, 3, 4, 5})),
              QCC_OK);
  }
}

TEST_F(RuntimeKernelTest, GatherIndexOutOfRangeIsAnError) {
  Tensor x = randomTensor(rng, ElementType::I8, {4, 3});
  Tensor ids = rangeTensor(rng, ElementType::I64, {5}, 0, 3);
  ids.getData<int64_t>()[2] = 4;
  EXPECT_EQ(check("%r0 = qcc.gather %a0, %a1 {axis = 0 : i64} : "
                  "(tensor<4x3xi8>, tensor<5xi64>) -> tensor<5x3xi8>",
                  {x, ids}, "tensor<5x3xi8>"),
            QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(rt)).find("gather index 4"),
            std::string::npos)
      << qcc_rt_last_error(rt);
}

TEST_F(RuntimeKernelTest, PadModes) {
  for (ElementType t : {ElementType::I8, ElementType::UI8, ElementType::I32,
                        ElementType::F32, ElementType::I1}) {
    Shape s = {2, 4, 5};
    Tensor x = randomTensor(rng, t, s);
    std::string value = t == ElementType::F32   ? "-2.5 : f32"
                        : t == ElementType::UI8 ? "200 : ui8"
                        : t == ElementType::I1  ? "true"
                                                : "-7 : " + typeName(t);
    for (const char *mode : {"constant", "reflect", "edge"}) {
      std::string outT = tensorType({3, 9, 7}, t);
      EXPECT_EQ(
          check(std::string("%r0 = qcc.pad %a0 {mode = #qcc.pad_mode<") + mode +
                    ">, pads = array<i64: 1, 2, 0, 0, 3, 2>, value = " + value +
                    "} : (" + tensorType(s, t) + ") -> " + outT,
                {x}, outT),
          QCC_OK);
    }
  }
}

//===----------------------------------------------------------------------===//
// Tensors big enough to be split across threads
//===----------------------------------------------------------------------===//

TEST_F(RuntimeKernelTest, LargeTensorsAcrossThreads) {
  Shape s = {96, 400};
  std::string i32 = tensorType(s, ElementType::I32),
              i8 = tensorType(s, ElementType::I8);
  Tensor x = randomTensor(rng, ElementType::I32, s);
  Tensor bytes = randomTensor(rng, ElementType::I8, s);
  Tensor row = randomTensor(rng, ElementType::I32, {400});
  EXPECT_EQ(
      check("%r0 = qcc.add %a0, %a1 : (" + i32 + ", tensor<400xi32>) -> " + i32,
            {x, row}, i32),
      QCC_OK);
  auto [m, sh] = randomDyadics(rng, 400);
  EXPECT_EQ(check("%r0 = qcc.requant %a0 {axis = 1 : i64, multiplier = " +
                      i32Array(m) + ", shift = " + i32Array(sh) + "} : " + i32 +
                      " to " + i8,
                  {x}, i8),
            QCC_OK);
  IntSoftmaxParams p = *makeIntSoftmaxParams(1e-4, 32);
  EXPECT_EQ(check("%r0 = qcc.int_softmax %a0 {" + softmaxAttrs(p) +
                      "} : " + i32 + " to " + tensorType(s, ElementType::UI8),
                  {x}, tensorType(s, ElementType::UI8)),
            QCC_OK);
  Ints ones(400, 1073741824), shifts(400, 30), zeros(400, 0);
  EXPECT_EQ(check("%r0 = qcc.int_layer_norm %a0 {bias = " + i32Array(zeros) +
                      ", multiplier = " + i32Array(ones) +
                      ", shift = " + i32Array(shifts) +
                      ", var_shift = 0 : i32} : " + i32 + " to " + i32,
                  {x}, i32),
            QCC_OK);
  EXPECT_EQ(check("%r0 = qcc.quantize %a0 {scales = array<f32: 0.37>, "
                  "zero_points = array<i64: 0>} : " +
                      tensorType(s, ElementType::F32) + " to " + i8,
                  {randomTensor(rng, ElementType::F32, s)}, i8),
            QCC_OK);
  EXPECT_EQ(check("%r0 = qcc.transpose %a0 {permutation = array<i64: 1, 0>} "
                  ": (" +
                      i8 + ") -> " + tensorType({400, 96}, ElementType::I8),
                  {bytes}, tensorType({400, 96}, ElementType::I8)),
            QCC_OK);
  EXPECT_EQ(check("%r0 = qcc.reduce_sum %a0 {axes = array<i64: 1>, keepdims = "
                  "false} : (" +
                      i32 + ") -> tensor<96xi32>",
                  {x}, "tensor<96xi32>"),
            QCC_OK);
  EXPECT_EQ(
      check("%r0 = qcc.max_pool %a0 {dilations = array<i64: 1, 1>, "
            "kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, "
            "1>, strides = array<i64: 1, 1>} : (tensor<1x16x48x48xi8>) -> "
            "tensor<1x16x48x48xi8>",
            {randomTensor(rng, ElementType::I8, {1, 16, 48, 48})},
            "tensor<1x16x48x48xi8>"),
      QCC_OK);
}

//===----------------------------------------------------------------------===//
// The generic API
//===----------------------------------------------------------------------===//

const int64_t kShape23[] = {2, 3};
const int64_t kShape3[] = {3};
const qcc_rt_io kAddInputs[] = {
    {"lhs", QCC_I32, 2, kShape23, 0.0, 0},
    {"rhs", QCC_I32, 1, kShape3, 0.5, 3},
};
const qcc_rt_io kAddOutputs[] = {{"sum", QCC_I32, 2, kShape23, 0.0, 0}};

/// out = lhs + rhs through qcc_rt_add, with a scratch copy in the arena.
int32_t runAdd(qcc_rt_context *ctx, uint8_t *arena, void *const *inputs,
               void *const *outputs) {
  if (reinterpret_cast<uintptr_t>(arena) % 64 != 0)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "arena misaligned");
  qcc_rt_tensor in[2] = {{inputs[0], kShape23, 2, QCC_I32},
                         {inputs[1], kShape3, 1, QCC_I32}};
  qcc_rt_tensor tmp = {arena, kShape23, 2, QCC_I32};
  if (int32_t s = qcc_rt_add(ctx, in, 2, &tmp, nullptr))
    return s;
  qcc_rt_tensor out = {outputs[0], kShape23, 2, QCC_I32};
  return qcc_rt_copy(ctx, &tmp, 1, &out, nullptr);
}

const qcc_rt_model kAddModel = {QCC_RT_ABI_VERSION, 2,     1,     kAddInputs,
                                kAddOutputs,        6 * 4, runAdd, 0, nullptr};

TEST(RuntimeApiTest, RunsAHandWrittenModel) {
  qcc_context *ctx = nullptr;
  ASSERT_EQ(qcc_rt_create(&kAddModel, &ctx), QCC_OK);
  int32_t a[6] = {1, 2, 3, INT32_MAX, 5, 6}, b[3] = {10, 20, 1}, out[6] = {};
  qcc_tensor ins[2] = {{a, QCC_I32, 2, kShape23}, {b, QCC_I32, 1, kShape3}};
  qcc_tensor outs[1] = {{out, QCC_I32, 2, kShape23}};
  for (int32_t threads : {0, 1, 4}) {
    ASSERT_EQ(qcc_rt_set_num_threads(ctx, threads), QCC_OK);
    ASSERT_EQ(qcc_rt_run(ctx, ins, 2, outs, 1), QCC_OK)
        << qcc_rt_last_error(ctx);
    EXPECT_EQ(std::vector<int32_t>(out, out + 6),
              (std::vector<int32_t>{11, 22, 4, INT32_MIN + 9, 25, 7}));
    EXPECT_STREQ(qcc_rt_last_error(ctx), "");
  }
  qcc_tensor_info info;
  ASSERT_EQ(qcc_rt_info(&kAddModel, 0, 1, &info), QCC_OK);
  EXPECT_STREQ(info.name, "rhs");
  EXPECT_EQ(info.dtype, QCC_I32);
  EXPECT_EQ(info.rank, 1);
  EXPECT_EQ(info.shape[0], 3);
  EXPECT_EQ(info.scale, 0.5);
  EXPECT_EQ(info.zero_point, 3);
  ASSERT_EQ(qcc_rt_info(&kAddModel, 1, 0, &info), QCC_OK);
  EXPECT_STREQ(info.name, "sum");
  EXPECT_EQ(qcc_rt_info(&kAddModel, 1, 1, &info), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_info(&kAddModel, 0, -1, &info), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_info(&kAddModel, 0, 0, nullptr), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_set_num_threads(ctx, -1), QCC_ERROR_INVALID_ARGUMENT);
  qcc_rt_destroy(ctx);
}

TEST(RuntimeApiTest, RejectsBadArgumentsWithMessages) {
  qcc_context *ctx = nullptr;
  ASSERT_EQ(qcc_rt_create(&kAddModel, &ctx), QCC_OK);
  int32_t a[6] = {}, b[3] = {}, out[6] = {};
  int64_t wrongShape[] = {3, 2}, wrongRhs[] = {4};
  auto run = [&](std::vector<qcc_tensor> ins, std::vector<qcc_tensor> outs) {
    return qcc_rt_run(ctx, ins.data(), static_cast<int32_t>(ins.size()),
                      outs.data(), static_cast<int32_t>(outs.size()));
  };
  qcc_tensor lhs = {a, QCC_I32, 2, kShape23}, rhs = {b, QCC_I32, 1, kShape3};
  qcc_tensor sum = {out, QCC_I32, 2, kShape23};
  struct Bad {
    std::vector<qcc_tensor> ins, outs;
    qcc_status status;
    const char *message;
  };
  const Bad cases[] = {
      {{{a, QCC_I8, 2, kShape23}, rhs},
       {sum},
       QCC_ERROR_DTYPE,
       "input 0 ('lhs'): dtype i8, expected i32"},
      {{lhs, {b, QCC_F32, 1, kShape3}}, {sum}, QCC_ERROR_DTYPE, "'rhs'"},
      {{lhs, rhs},
       {{out, QCC_I64, 2, kShape23}},
       QCC_ERROR_DTYPE,
       "output 0 ('sum')"},
      {{{a, QCC_I32, 1, kShape23}, rhs},
       {sum},
       QCC_ERROR_SHAPE,
       "input 0 ('lhs'): rank 1, expected 2"},
      {{{a, QCC_I32, 2, wrongShape}, rhs},
       {sum},
       QCC_ERROR_SHAPE,
       "dimension 0 is 3, expected 2"},
      {{lhs, {b, QCC_I32, 1, wrongRhs}}, {sum}, QCC_ERROR_SHAPE, "'rhs'"},
      {{lhs, rhs},
       {{out, QCC_I32, 2, wrongShape}},
       QCC_ERROR_SHAPE,
       "output 0"},
      {{{nullptr, QCC_I32, 2, kShape23}, rhs},
       {sum},
       QCC_ERROR_INVALID_ARGUMENT,
       "input 0 ('lhs'): data is null"},
      {{lhs, rhs},
       {{nullptr, QCC_I32, 2, kShape23}},
       QCC_ERROR_INVALID_ARGUMENT,
       "output 0 ('sum'): data is null"},
      {{{a, QCC_I32, 2, nullptr}, rhs},
       {sum},
       QCC_ERROR_INVALID_ARGUMENT,
       "shape is null"},
      {{lhs}, {sum}, QCC_ERROR_INVALID_ARGUMENT, "1 inputs given"},
      {{lhs, rhs, rhs}, {sum}, QCC_ERROR_INVALID_ARGUMENT, "3 inputs given"},
      {{lhs, rhs}, {}, QCC_ERROR_INVALID_ARGUMENT, "0 outputs given"},
      {{lhs, rhs}, {sum, sum}, QCC_ERROR_INVALID_ARGUMENT, "2 outputs given"},
  };
  for (const Bad &bad : cases) {
    EXPECT_EQ(run(bad.ins, bad.outs), bad.status) << bad.message;
    EXPECT_NE(std::string(qcc_rt_last_error(ctx)).find(bad.message),
              std::string::npos)
        << qcc_rt_last_error(ctx) << "\nexpected: " << bad.message;
  }
  EXPECT_EQ(qcc_rt_run(ctx, nullptr, 2, &sum, 1), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_run(nullptr, nullptr, 0, nullptr, 0),
            QCC_ERROR_INVALID_ARGUMENT);
  // A good run clears the error.
  EXPECT_EQ(run({lhs, rhs}, {sum}), QCC_OK);
  EXPECT_STREQ(qcc_rt_last_error(ctx), "");
  qcc_rt_destroy(ctx);

  // Creation: bad ABI version, null model or output pointer.
  qcc_rt_model old = kAddModel;
  old.abi_version = QCC_RT_ABI_VERSION + 1;
  EXPECT_EQ(qcc_rt_create(&old, &ctx), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_EQ(qcc_rt_create(nullptr, &ctx), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_create(&kAddModel, nullptr), QCC_ERROR_INVALID_ARGUMENT);
  qcc_rt_destroy(nullptr);
}

TEST(RuntimeApiTest, ModelErrorsReachTheCaller) {
  qcc_context *ctx = nullptr;
  ASSERT_EQ(qcc_rt_create(&kAddModel, &ctx), QCC_OK);
  // Contexts are independent: two at once, different thread counts.
  qcc_context *other = nullptr;
  ASSERT_EQ(qcc_rt_create(&kAddModel, &other), QCC_OK);
  ASSERT_EQ(qcc_rt_set_num_threads(other, 2), QCC_OK);
  int32_t a[6] = {}, b[3] = {}, out[6] = {};
  qcc_tensor ins[2] = {{a, QCC_I32, 2, kShape23}, {b, QCC_I32, 1, kShape3}};
  qcc_tensor outs[1] = {{out, QCC_I32, 2, kShape23}};
  EXPECT_EQ(qcc_rt_run(other, ins, 2, outs, 1), QCC_OK);
  // A kernel error inside run: a division by zero.
  qcc_rt_tensor x = {a, kShape23, 2, QCC_I32}, y = {b, kShape3, 1, QCC_I32};
  qcc_rt_tensor both[2] = {x, y};
  qcc_rt_tensor o = {out, kShape23, 2, QCC_I32};
  EXPECT_EQ(qcc_rt_div(asKernelContext(ctx), both, 2, &o, nullptr),
            QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(ctx)).find("division by zero"),
            std::string::npos);
  EXPECT_STREQ(qcc_rt_last_error(other), "");
  qcc_rt_destroy(other);
  qcc_rt_destroy(ctx);
}

/// Two ops: op 0 copies, op 1 sleeps 3 ms and copies again; each reports
/// itself done as generated code does.
const qcc_rt_op kSleepOps[] = {{"first", "copy"}, {"sleeper", "copy"}};
constexpr int64_t kSleepNs = 3000000;

int32_t runSleep(qcc_rt_context *ctx, uint8_t *arena, void *const *inputs,
                 void *const *outputs) {
  qcc_rt_tensor in = {inputs[0], kShape23, 2, QCC_I32};
  qcc_rt_tensor tmp = {arena, kShape23, 2, QCC_I32};
  if (int32_t s = qcc_rt_copy(ctx, &in, 1, &tmp, nullptr))
    return s;
  qcc_rt_op_done(ctx, 0);
  struct timespec nap = {0, kSleepNs};
  while (nanosleep(&nap, &nap) != 0) {
  }
  qcc_rt_tensor out = {outputs[0], kShape23, 2, QCC_I32};
  if (int32_t s = qcc_rt_copy(ctx, &tmp, 1, &out, nullptr))
    return s;
  qcc_rt_op_done(ctx, 1);
  return 0;
}

const qcc_rt_model kSleepModel = {
    QCC_RT_ABI_VERSION, 1, 1, kAddInputs, kAddOutputs, 6 * 4, runSleep,
    2,                  kSleepOps};

TEST(RuntimeApiTest, ProfilesOpsWhenEnabled) {
  qcc_context *ctx = nullptr;
  ASSERT_EQ(qcc_rt_create(&kSleepModel, &ctx), QCC_OK);
  EXPECT_EQ(qcc_rt_num_ops(&kSleepModel), 2);
  int32_t a[6] = {1, 2, 3, 4, 5, 6}, out[6] = {};
  qcc_tensor ins[1] = {{a, QCC_I32, 2, kShape23}};
  qcc_tensor outs[1] = {{out, QCC_I32, 2, kShape23}};
  auto profileOf = [&](int32_t index) {
    qcc_op_profile p = {};
    EXPECT_EQ(qcc_rt_op_profile(ctx, index, &p), QCC_OK);
    return p;
  };
  // Off by default: names, no counts.
  ASSERT_EQ(qcc_rt_run(ctx, ins, 1, outs, 1), QCC_OK);
  EXPECT_EQ(out[5], 6);
  EXPECT_STREQ(profileOf(1).name, "sleeper");
  EXPECT_STREQ(profileOf(1).kernel, "copy");
  EXPECT_EQ(profileOf(1).calls, 0);
  EXPECT_EQ(profileOf(1).total_ns, 0);
  // On: three runs; the sleep is charged to the op after it.
  ASSERT_EQ(qcc_rt_enable_profiling(ctx, 1), QCC_OK);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(qcc_rt_run(ctx, ins, 1, outs, 1), QCC_OK);
  qcc_op_profile first = profileOf(0), sleeper = profileOf(1);
  EXPECT_EQ(first.calls, 3);
  EXPECT_EQ(sleeper.calls, 3);
  EXPECT_GE(sleeper.total_ns, 3 * kSleepNs);
  EXPECT_GE(first.total_ns, 0);
  EXPECT_LT(first.total_ns, kSleepNs);
  // Enabling again restarts from zero; disabling drops the counts.
  ASSERT_EQ(qcc_rt_enable_profiling(ctx, 1), QCC_OK);
  EXPECT_EQ(profileOf(1).calls, 0);
  ASSERT_EQ(qcc_rt_run(ctx, ins, 1, outs, 1), QCC_OK);
  EXPECT_EQ(profileOf(1).calls, 1);
  ASSERT_EQ(qcc_rt_enable_profiling(ctx, 0), QCC_OK);
  EXPECT_EQ(profileOf(1).calls, 0);
  // Bad arguments.
  qcc_op_profile p;
  EXPECT_EQ(qcc_rt_op_profile(ctx, 2, &p), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_op_profile(ctx, -1, &p), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_op_profile(ctx, 0, nullptr), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_op_profile(nullptr, 0, &p), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_enable_profiling(nullptr, 1), QCC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcc_rt_num_ops(nullptr), 0);
  qcc_rt_op_done(nullptr, 0);
  qcc_rt_destroy(ctx);
  // A descriptor with ops but no table is refused.
  qcc_rt_model noTable = kSleepModel;
  noTable.ops = nullptr;
  EXPECT_EQ(qcc_rt_create(&noTable, &ctx), QCC_ERROR_INVALID_ARGUMENT);
}

} // namespace
