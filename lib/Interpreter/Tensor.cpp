//===- Tensor.cpp - dense tensors of the reference interpreter --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/Tensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/ErrorHandling.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;
using namespace mlir::qcc;

size_t mlir::qcc::getElementSize(ElementType type) {
  switch (type) {
  case ElementType::I64:
    return 8;
  case ElementType::F32:
  case ElementType::I32:
    return 4;
  case ElementType::I16:
    return 2;
  case ElementType::I8:
  case ElementType::UI8:
  case ElementType::I1:
    return 1;
  }
  llvm_unreachable("unknown ElementType");
}

llvm::StringRef mlir::qcc::getElementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::I64:
    return "i64";
  case ElementType::I32:
    return "i32";
  case ElementType::I16:
    return "i16";
  case ElementType::I8:
    return "i8";
  case ElementType::UI8:
    return "ui8";
  case ElementType::I1:
    return "i1";
  }
  llvm_unreachable("unknown ElementType");
}

std::optional<ElementType> mlir::qcc::getElementType(Type type) {
  if (type.isF32())
    return ElementType::F32;
  auto integer = dyn_cast<IntegerType>(type);
  if (!integer)
    return std::nullopt;
  if (integer.getWidth() == 1)
    return ElementType::I1;
  if (integer.isUnsigned())
    return integer.getWidth() == 8 ? std::optional(ElementType::UI8)
                                   : std::nullopt;
  switch (integer.getWidth()) {
  case 8:
    return ElementType::I8;
  case 16:
    return ElementType::I16;
  case 32:
    return ElementType::I32;
  case 64:
    return ElementType::I64;
  default:
    return std::nullopt;
  }
}

struct BufferPool::Impl {
  mutable std::mutex mutex;
  /// Free buffers by (rounded) size.
  llvm::DenseMap<size_t, llvm::SmallVector<void *, 2>> free;
  size_t cached = 0, inUse = 0, peakInUse = 0;
  std::atomic<bool> poison{false};
};

/// Rounds a request up to whole cache lines (never zero bytes).
static size_t roundBufferSize(size_t bytes) {
  return std::max<size_t>((bytes + 63) / 64 * 64, 64);
}

BufferPool::BufferPool() : impl(std::make_unique<Impl>()) {}

BufferPool::~BufferPool() {
  for (auto &entry : impl->free)
    for (void *data : entry.second)
      std::free(data);
}

void *BufferPool::allocate(size_t bytes) {
  bytes = roundBufferSize(bytes);
  void *data = nullptr;
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    impl->inUse += bytes;
    impl->peakInUse = std::max(impl->peakInUse, impl->inUse);
    auto it = impl->free.find(bytes);
    if (it != impl->free.end() && !it->second.empty()) {
      impl->cached -= bytes;
      data = it->second.pop_back_val();
    }
  }
  if (!data)
    data = std::aligned_alloc(64, bytes);
  if (!data) {
    std::lock_guard<std::mutex> lock(impl->mutex);
    impl->inUse -= bytes;
    return nullptr;
  }
  if (impl->poison.load(std::memory_order_relaxed))
    std::memset(data, 0xff, bytes);
  return data;
}

void BufferPool::setPoison(bool poison) { impl->poison.store(poison); }

void BufferPool::release(void *data, size_t bytes) {
  if (!data)
    return;
  bytes = roundBufferSize(bytes);
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    impl->inUse -= bytes;
    if (impl->cached + bytes <= impl->peakInUse) {
      impl->cached += bytes;
      impl->free[bytes].push_back(data);
      return;
    }
  }
  std::free(data);
}

size_t BufferPool::getCachedBytes() const {
  std::lock_guard<std::mutex> lock(impl->mutex);
  return impl->cached;
}

Tensor::Storage::~Storage() {
  if (pool)
    pool->release(data, bytes);
  else
    std::free(data);
}

Tensor Tensor::allocate(ElementType type, llvm::ArrayRef<int64_t> shape,
                        const std::shared_ptr<BufferPool> &pool) {
  // Element counts beyond 2^48 are certainly not a real model.
  constexpr uint64_t kMaxElements = uint64_t(1) << 48;
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && count > kMaxElements / static_cast<uint64_t>(d)))
      return {};
    count *= static_cast<uint64_t>(d);
  }
  size_t bytes = static_cast<size_t>(count) * getElementSize(type);
  auto storage = std::make_shared<Storage>();
  storage->bytes = bytes;
  if (pool) {
    storage->data = pool->allocate(bytes);
    if (storage->data)
      storage->pool = pool;
  } else {
    // aligned_alloc wants a multiple of the alignment; never allocate zero.
    storage->data = std::aligned_alloc(64, roundBufferSize(bytes));
  }
  if (!storage->data)
    return {};
  return Tensor(type, shape, static_cast<int64_t>(count), std::move(storage));
}

Tensor Tensor::zeros(ElementType type, llvm::ArrayRef<int64_t> shape) {
  Tensor tensor = allocate(type, shape);
  if (tensor)
    std::memset(tensor.getRawData(), 0, tensor.getSizeInBytes());
  return tensor;
}

Tensor Tensor::reshape(llvm::ArrayRef<int64_t> newShape) const {
  int64_t count = 1;
  for (int64_t d : newShape)
    count *= d;
  assert(count == numElements && "reshape changes the element count");
  return Tensor(type, newShape, count, storage);
}

Tensor Tensor::clone() const {
  Tensor copy = allocate(type, shape);
  if (copy && numElements)
    std::memcpy(copy.getRawData(), getRawData(), getSizeInBytes());
  return copy;
}

std::string mlir::qcc::formatTensorType(ElementType type,
                                        llvm::ArrayRef<int64_t> shape) {
  std::string result;
  for (int64_t d : shape)
    result += std::to_string(d) + "x";
  return result + getElementTypeName(type).str();
}

NpyDType mlir::qcc::getNpyDType(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return NpyDType::Float32;
  case ElementType::I64:
    return NpyDType::Int64;
  case ElementType::I32:
    return NpyDType::Int32;
  case ElementType::I16:
    return NpyDType::Int16;
  case ElementType::I8:
    return NpyDType::Int8;
  case ElementType::UI8:
    return NpyDType::UInt8;
  case ElementType::I1:
    return NpyDType::Bool;
  }
  llvm_unreachable("unknown ElementType");
}

llvm::Expected<Tensor> mlir::qcc::tensorFromNpy(const NpyArray &array,
                                                ElementType want,
                                                llvm::StringRef what) {
  bool widened = want == ElementType::F32 && array.dtype == NpyDType::Float64;
  if (array.dtype != getNpyDType(want) && !widened)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        what + " has dtype " + getNpyDTypeName(array.dtype) + ", expected " +
            getNpyDTypeName(getNpyDType(want)));
  Tensor tensor = Tensor::allocate(want, array.shape);
  if (!tensor)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   what + " is too large to allocate");
  if (widened) {
    float *out = tensor.getData<float>();
    for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i) {
      double value;
      std::memcpy(&value, array.data.data() + i * sizeof(double),
                  sizeof(double));
      out[i] = static_cast<float>(value);
    }
  } else if (!array.data.empty()) {
    std::memcpy(tensor.getRawData(), array.data.data(), array.data.size());
  }
  return tensor;
}

llvm::Error mlir::qcc::writeTensorToNpy(const Tensor &tensor,
                                        llvm::StringRef path) {
  return writeNpy(path, getNpyDType(tensor.getElementType()), tensor.getShape(),
                  tensor.getBytes());
}
