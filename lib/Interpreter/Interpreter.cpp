//===- Interpreter.cpp - reference interpreter of the qcc dialect -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// `Interpreter::create` turns the function into a schedule: one step per op
// in program order, each naming the value slots it reads and writes and the
// slots whose last use it is. `run` walks the schedule, so a tensor is
// released right after its last use and memory stays bounded by the live
// set, not the model. Constants are materialised once, at creation.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/Interpreter.h"

#include "Kernels/Kernels.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Every kernel, by op.
const KernelTable &getKernelTable() {
  static const KernelTable table = [] {
    KernelTable t;
    populateElementwiseKernels(t);
    populateUnaryKernels(t);
    populateConversionKernels(t);
    populateNormalizationKernels(t);
    populateLinearKernels(t);
    populateAttentionKernels(t);
    populatePoolingKernels(t);
    populateDataMovementKernels(t);
    populateIntegerKernels(t);
    return t;
  }();
  return table;
}

/// Fills `tensor` with `count` copies of the element at `element`.
void fillSplat(Tensor &tensor, const char *element) {
  size_t size = getElementSize(tensor.getElementType());
  char *dst = static_cast<char *>(tensor.getRawData());
  for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i)
    std::memcpy(dst + i * size, element, size);
}

/// The value of a qcc.constant as a tensor.
FailureOr<Tensor> materializeConstant(ConstantOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  ElementType elementType = *getElementType(type.getElementType());
  Tensor tensor = Tensor::allocate(elementType, type.getShape());
  if (!tensor)
    return op.emitError() << "cannot allocate the constant " << type
                          << ": out of memory";
  size_t bytes = tensor.getSizeInBytes();
  ElementsAttr value = op.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (elementType == ElementType::I1) {
      bool *dst = tensor.getData<bool>();
      int64_t i = 0;
      for (bool v : dense.getValues<bool>())
        dst[i++] = v;
      return tensor;
    }
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      if (tensor.getNumElements() && !raw.empty())
        fillSplat(tensor, raw.data());
      return tensor;
    }
    if (raw.size() != bytes)
      return op.emitError() << "constant data has " << raw.size()
                            << " bytes, expected " << bytes;
    if (bytes)
      std::memcpy(tensor.getRawData(), raw.data(), bytes);
    return tensor;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return op.emitError("constant resource has no data");
    ArrayRef<char> raw = blob->getData();
    if (raw.size() != bytes)
      return op.emitError() << "constant resource has " << raw.size()
                            << " bytes, expected " << bytes;
    if (bytes)
      std::memcpy(tensor.getRawData(), raw.data(), bytes);
    if (elementType == ElementType::I1) {
      // Normalise any non-zero byte to a valid bool.
      auto *data = static_cast<unsigned char *>(tensor.getRawData());
      for (size_t i = 0; i < bytes; ++i)
        data[i] = data[i] != 0;
    }
    return tensor;
  }
  return op.emitError("the reference interpreter does not support constants "
                      "of attribute kind ")
         << value;
}

/// Checks that a value has a static tensor type the interpreter supports.
LogicalResult checkValueType(Operation *op, Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return op->emitError() << "the reference interpreter needs statically "
                              "shaped tensors, got "
                           << value.getType();
  if (!getElementType(type.getElementType()))
    return op->emitError() << "the reference interpreter does not support "
                              "element type "
                           << type.getElementType();
  return success();
}

} // namespace

struct Interpreter::Impl {
  struct Step {
    Operation *op;
    const KernelInfo *kernel;
    SmallVector<unsigned, 4> operands, results, release;
  };

  Impl(func::FuncOp fn, const InterpreterOptions &options)
      : fn(fn), options(options), pool(options.numThreads) {
    profile = std::getenv("QCC_INTERPRETER_PROFILE") != nullptr;
    buffers->setPoison(options.poisonBuffers);
  }
  ~Impl() { printProfile(); }

  LogicalResult prepare();
  FailureOr<SmallVector<Tensor>> run(ArrayRef<Tensor> inputs);

  func::FuncOp fn;
  InterpreterOptions options;
  WorkerPool pool;
  /// Results and scratch memory, recycled from run to run.
  std::shared_ptr<BufferPool> buffers = std::make_shared<BufferPool>();
  unsigned numSlots = 0;
  SmallVector<Step> steps;
  SmallVector<unsigned> argSlots, returnSlots;
  /// Slots released before the first step (unused arguments, constants).
  SmallVector<unsigned> releaseAtStart;
  SmallVector<std::pair<unsigned, Tensor>> constants;

  /// With QCC_INTERPRETER_PROFILE set in the environment, the time spent in
  /// each kind of op over all runs, printed to stderr when the interpreter
  /// is destroyed.
  bool profile = false;
  struct OpTime {
    double seconds = 0.0;
    int64_t count = 0;
  };
  llvm::StringMap<OpTime> opTimes;
  double runSeconds = 0.0;
  int64_t runs = 0;
  void printProfile() const;
};

void Interpreter::Impl::printProfile() const {
  if (!profile || runs == 0)
    return;
  SmallVector<std::pair<double, StringRef>> sorted;
  double total = 0.0;
  for (const auto &entry : opTimes) {
    sorted.emplace_back(entry.second.seconds, entry.first());
    total += entry.second.seconds;
  }
  llvm::sort(sorted, [](auto &a, auto &b) { return a.first > b.first; });
  llvm::errs() << llvm::format("interpreter profile: %lld runs, %.3f ms per "
                               "run (%.3f ms in ops), %u threads\n",
                               static_cast<long long>(runs),
                               1e3 * runSeconds / runs, 1e3 * total / runs,
                               pool.getNumThreads());
  for (auto &[seconds, name] : sorted) {
    const OpTime &time = opTimes.find(name)->second;
    llvm::errs() << llvm::format(
        "  %-22s %5lld ops/run %9.3f ms/run %5.1f %%\n", name.str().c_str(),
        static_cast<long long>(time.count / runs), 1e3 * seconds / runs,
        total > 0 ? 100.0 * seconds / total : 0.0);
  }
}

LogicalResult Interpreter::Impl::prepare() {
  if (failed(verify(fn)))
    return failure();
  if (fn.isExternal() || !fn.getBody().hasOneBlock())
    return fn.emitError("the reference interpreter needs a function with a "
                        "body of one block");
  Block &body = fn.getBody().front();
  llvm::DenseMap<Value, unsigned> slotOf;
  // Index of the last step reading each slot; the return counts as a step
  // past the end, so returned values are never released.
  SmallVector<int64_t> lastUse;
  auto define = [&](Value value, int64_t step) {
    slotOf[value] = numSlots++;
    lastUse.push_back(step);
  };
  for (BlockArgument arg : body.getArguments()) {
    if (failed(checkValueType(fn, arg)))
      return failure();
    argSlots.push_back(numSlots);
    define(arg, -1);
  }
  const KernelTable &table = getKernelTable();
  bool unsupported = false;
  for (Operation &op : body) {
    int64_t index = static_cast<int64_t>(steps.size());
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands()) {
        returnSlots.push_back(slotOf.lookup(v));
        lastUse[slotOf.lookup(v)] = INT64_MAX;
      }
      continue;
    }
    for (Value v : op.getOperands()) {
      if (!slotOf.count(v))
        return op.emitError("operand is not defined in the function body");
      if (failed(checkValueType(&op, v)))
        return failure();
      lastUse[slotOf[v]] = std::max(lastUse[slotOf[v]], index);
    }
    for (Value v : op.getResults())
      if (failed(checkValueType(&op, v)))
        return failure();
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      FailureOr<Tensor> tensor = materializeConstant(constant);
      if (failed(tensor))
        return failure();
      constants.emplace_back(numSlots, std::move(*tensor));
      define(constant.getResult(), -1);
      continue;
    }
    // Report every op the interpreter cannot run, not just the first.
    const KernelInfo *kernel = table.lookup(&op);
    if (!kernel) {
      op.emitError() << "the reference interpreter does not implement '"
                     << op.getName() << "'";
      unsupported = true;
    } else if (kernel->check && failed(kernel->check(&op))) {
      unsupported = true;
    }
    Step step{&op, kernel, {}, {}, {}};
    for (Value v : op.getOperands())
      step.operands.push_back(slotOf[v]);
    for (Value v : op.getResults()) {
      step.results.push_back(numSlots);
      define(v, index);
    }
    steps.push_back(std::move(step));
  }
  if (unsupported)
    return failure();
  for (unsigned slot = 0; slot < numSlots; ++slot) {
    if (lastUse[slot] == INT64_MAX)
      continue;
    if (lastUse[slot] < 0)
      releaseAtStart.push_back(slot);
    else
      steps[lastUse[slot]].release.push_back(slot);
  }
  return success();
}

FailureOr<SmallVector<Tensor>> Interpreter::Impl::run(ArrayRef<Tensor> inputs) {
  FunctionType type = fn.getFunctionType();
  if (inputs.size() != type.getNumInputs())
    return fn.emitError() << "expected " << type.getNumInputs()
                          << " inputs, got " << inputs.size();
  for (auto [i, input] : llvm::enumerate(inputs)) {
    auto expected = cast<RankedTensorType>(type.getInput(i));
    ElementType elementType = *getElementType(expected.getElementType());
    if (!input || input.getElementType() != elementType ||
        input.getShape() != expected.getShape()) {
      InFlightDiagnostic diag = fn.emitError() << "input #" << i;
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, "qcc.name"))
        diag << " ('" << name.getValue() << "')";
      diag << " expected " << formatTensorType(elementType, expected.getShape())
           << ", got "
           << (input
                   ? formatTensorType(input.getElementType(), input.getShape())
                   : std::string("no tensor"));
      return diag;
    }
  }

  SmallVector<Tensor> slots(numSlots);
  for (auto [slot, input] : llvm::zip(argSlots, inputs))
    slots[slot] = input;
  for (auto &[slot, tensor] : constants)
    slots[slot] = tensor;
  for (unsigned slot : releaseAtStart)
    slots[slot] = Tensor();

  KernelContext context{pool, buffers};
  SmallVector<Tensor, 4> operands;
  SmallVector<Tensor, 2> results;
  using Clock = std::chrono::steady_clock;
  Clock::time_point runStart = Clock::now();
  for (const Step &step : steps) {
    operands.clear();
    results.clear();
    for (unsigned slot : step.operands)
      operands.push_back(slots[slot]);
    // An operand used for the last time is held by `operands` alone (unless
    // the caller or the observer kept it), so an elementwise kernel may
    // write its result into it (allocateResultInPlace).
    for (unsigned slot : step.release)
      if (llvm::is_contained(step.operands, slot))
        slots[slot] = Tensor();
    Clock::time_point start = profile ? Clock::now() : Clock::time_point();
    LogicalResult status =
        step.kernel->run(step.op, operands, results, context);
    if (profile) {
      OpTime &time = opTimes[step.op->getName().getStringRef()];
      time.seconds +=
          std::chrono::duration<double>(Clock::now() - start).count();
      ++time.count;
    }
    operands.clear();
    if (failed(status))
      return failure();
    assert(results.size() == step.results.size() && "kernel result count");
    if (options.observer)
      options.observer(step.op, results);
    for (auto [slot, result] : llvm::zip(step.results, results))
      slots[slot] = std::move(result);
    for (unsigned slot : step.release)
      slots[slot] = Tensor();
  }

  SmallVector<Tensor> outputs;
  for (unsigned slot : returnSlots)
    outputs.push_back(slots[slot]);
  if (profile) {
    runSeconds +=
        std::chrono::duration<double>(Clock::now() - runStart).count();
    ++runs;
  }
  return outputs;
}

FailureOr<std::unique_ptr<Interpreter>>
Interpreter::create(func::FuncOp fn, const InterpreterOptions &options) {
  auto impl = std::make_unique<Impl>(fn, options);
  if (failed(impl->prepare()))
    return failure();
  return std::unique_ptr<Interpreter>(new Interpreter(std::move(impl)));
}

Interpreter::Interpreter(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}

Interpreter::~Interpreter() = default;

FailureOr<SmallVector<Tensor>> Interpreter::run(ArrayRef<Tensor> inputs) {
  return impl->run(inputs);
}

unsigned Interpreter::getNumThreads() const {
  return impl->pool.getNumThreads();
}

FailureOr<SmallVector<Tensor>>
mlir::qcc::interpretFunction(func::FuncOp fn, ArrayRef<Tensor> inputs,
                             const InterpreterOptions &options) {
  FailureOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::create(fn, options);
  if (failed(interpreter))
    return failure();
  return (*interpreter)->run(inputs);
}
