//===- Tensor.h - dense tensors of the reference interpreter ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// A Tensor is a statically shaped, contiguous, row-major array of one element
// type. It is a cheap handle: copies share the elements (reference
// counted), and `reshape` makes a view with another shape over the same
// elements. The interpreter never writes to a tensor it did not allocate for
// the op it is running, so sharing is safe.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_INTERPRETER_TENSOR_H
#define QCC_INTERPRETER_TENSOR_H

#include "qcc/Support/Npy.h"

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>

namespace mlir::qcc {

/// Element types of interpreter tensors. `I1` is stored as one byte per
/// element holding 0 or 1 (C++ `bool`).
enum class ElementType : uint8_t { F32, I64, I32, I16, I8, UI8, I1 };

/// Size in bytes of one element.
size_t getElementSize(ElementType type);

/// The MLIR spelling of the element type (`f32`, `i64`, `ui8`, `i1`, ...).
llvm::StringRef getElementTypeName(ElementType type);

/// The element type of an MLIR type (signless and signed integers map to the
/// signed types); nullopt if the interpreter does not support it.
std::optional<ElementType> getElementType(Type type);

/// The C++ type holding elements of each type.
template <typename T> struct ElementTypeOf;
template <> struct ElementTypeOf<float> {
  static constexpr ElementType value = ElementType::F32;
};
template <> struct ElementTypeOf<int64_t> {
  static constexpr ElementType value = ElementType::I64;
};
template <> struct ElementTypeOf<int32_t> {
  static constexpr ElementType value = ElementType::I32;
};
template <> struct ElementTypeOf<int16_t> {
  static constexpr ElementType value = ElementType::I16;
};
template <> struct ElementTypeOf<int8_t> {
  static constexpr ElementType value = ElementType::I8;
};
template <> struct ElementTypeOf<uint8_t> {
  static constexpr ElementType value = ElementType::UI8;
};
template <> struct ElementTypeOf<bool> {
  static constexpr ElementType value = ElementType::I1;
};

/// A cache of freed buffers by size, for tensors and kernel scratch memory.
/// An interpreter runs the same shapes again and again: reusing its buffers
/// avoids the system allocator and, for large buffers, the page faults of
/// fresh memory on every run. Buffers are 64-byte aligned. The cache keeps at
/// most as many bytes as were once in use at the same time, so memory stays
/// within twice the peak. Thread-safe.
class BufferPool {
public:
  BufferPool();
  ~BufferPool();
  BufferPool(const BufferPool &) = delete;
  BufferPool &operator=(const BufferPool &) = delete;

  /// A buffer of at least `bytes` bytes (null when memory is exhausted).
  void *allocate(size_t bytes);
  /// Gives back a buffer `allocate(bytes)` returned.
  void release(void *data, size_t bytes);
  /// Bytes held in the cache, not in use.
  size_t getCachedBytes() const;

  /// For testing: fill every buffer handed out with 0xff bytes (NaN as
  /// floats, -1 as integers), so that reading an element nobody wrote shows
  /// in the results.
  void setPoison(bool poison);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

class Tensor {
public:
  /// A null tensor (no type, no elements).
  Tensor() = default;

  /// Allocates a tensor with uninitialised elements (64-byte aligned), from
  /// `pool` when given (the tensor keeps the pool alive and gives the buffer
  /// back when its last handle goes). Returns a null tensor if the size
  /// overflows or memory is exhausted.
  static Tensor allocate(ElementType type, llvm::ArrayRef<int64_t> shape,
                         const std::shared_ptr<BufferPool> &pool = nullptr);

  /// Like allocate, with every byte zero.
  static Tensor zeros(ElementType type, llvm::ArrayRef<int64_t> shape);

  /// True unless this is a null tensor.
  explicit operator bool() const { return static_cast<bool>(storage); }

  ElementType getElementType() const { return type; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return static_cast<int64_t>(shape.size()); }
  int64_t getNumElements() const { return numElements; }
  size_t getSizeInBytes() const {
    return static_cast<size_t>(numElements) * getElementSize(type);
  }

  void *getRawData() { return storage ? storage->data : nullptr; }
  const void *getRawData() const { return storage ? storage->data : nullptr; }
  llvm::ArrayRef<char> getBytes() const {
    return {static_cast<const char *>(getRawData()), getSizeInBytes()};
  }

  /// Typed access; T must be the element type's C++ type.
  template <typename T> T *getData() {
    assert(ElementTypeOf<T>::value == type && "wrong element type");
    return static_cast<T *>(getRawData());
  }
  template <typename T> const T *getData() const {
    assert(ElementTypeOf<T>::value == type && "wrong element type");
    return static_cast<const T *>(getRawData());
  }
  template <typename T> llvm::ArrayRef<T> getValues() const {
    return llvm::ArrayRef<T>(getData<T>(), static_cast<size_t>(numElements));
  }

  /// A view of the same elements with another shape of equal element count.
  Tensor reshape(llvm::ArrayRef<int64_t> newShape) const;

  /// A deep copy (null if memory is exhausted).
  Tensor clone() const;

  /// True if no other handle shares the elements.
  bool isUniquelyOwned() const { return storage && storage.use_count() == 1; }

private:
  struct Storage {
    void *data = nullptr;
    size_t bytes = 0;
    std::shared_ptr<BufferPool> pool;
    ~Storage();
  };
  Tensor(ElementType type, llvm::ArrayRef<int64_t> shape, int64_t numElements,
         std::shared_ptr<Storage> storage)
      : type(type), shape(shape), numElements(numElements),
        storage(std::move(storage)) {}

  ElementType type = ElementType::F32;
  llvm::SmallVector<int64_t, 6> shape;
  int64_t numElements = 0;
  std::shared_ptr<Storage> storage;
};

/// Formats a shape as `2x3x4` (a 0-d shape as `scalar`) with the element type
/// appended, e.g. `2x3xf32`.
std::string formatTensorType(ElementType type, llvm::ArrayRef<int64_t> shape);

/// The .npy dtype of an element type.
NpyDType getNpyDType(ElementType type);

/// Converts an array read from a file into a tensor of element type `want`:
/// the dtypes must correspond, except that float64 is accepted for f32 and
/// rounded to nearest (NumPy's default float type is float64). `what` names
/// the array in the error message.
llvm::Expected<Tensor> tensorFromNpy(const NpyArray &array, ElementType want,
                                     llvm::StringRef what);

/// Writes a tensor to a .npy file.
llvm::Error writeTensorToNpy(const Tensor &tensor, llvm::StringRef path);

} // namespace mlir::qcc

#endif // QCC_INTERPRETER_TENSOR_H
