//===- Npy.h - read and write NumPy .npy/.npz files -------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The NumPy array formats are qcc's interchange format for model inputs,
// outputs and calibration data. Only what qcc needs is supported:
//  * little-endian (or single-byte) float32, float64, int64, int32, int16,
//    int8, uint8 and bool arrays in C order;
//  * format versions 1.0, 2.0 and 3.0 (reading), 1.0 (writing, 2.0 when the
//    header needs it);
//  * `.npz` archives whose members are stored uncompressed (`numpy.savez`;
//    `numpy.savez_compressed` archives are rejected with a message).
// Every malformed file is an llvm::Error naming the file and the problem;
// nothing here asserts on file contents.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_SUPPORT_NPY_H
#define QCC_SUPPORT_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::qcc {

/// Element types of the arrays qcc reads and writes.
enum class NpyDType {
  Float32,
  Float64,
  Int64,
  Int32,
  Int16,
  Int8,
  UInt8,
  Bool
};

/// Size in bytes of one element of `dtype`.
size_t getNpyItemSize(NpyDType dtype);

/// NumPy's name of `dtype` (`float32`, `int64`, `bool`, ...).
llvm::StringRef getNpyDTypeName(NpyDType dtype);

/// An array read from a file: dtype, shape and the elements in C order
/// (booleans are normalised to 0 or 1 bytes).
struct NpyArray {
  NpyDType dtype = NpyDType::Float32;
  llvm::SmallVector<int64_t> shape;
  std::vector<char> data;

  /// Number of elements (1 for a 0-d array).
  int64_t getNumElements() const;
};

/// Parses the bytes of a `.npy` file; `name` only labels error messages.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef bytes, llvm::StringRef name);

/// Reads a `.npy` file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// One member of an `.npz` archive, named without its `.npy` suffix.
struct NpzEntry {
  std::string name;
  NpyArray array;
};

/// Parses the bytes of an `.npz` archive (members stored, not deflated).
llvm::Expected<std::vector<NpzEntry>> parseNpz(llvm::StringRef bytes,
                                               llvm::StringRef name);

/// Reads an `.npz` archive.
llvm::Expected<std::vector<NpzEntry>> readNpz(llvm::StringRef path);

/// Serialises an array to `.npy` bytes. `data` holds the elements in C order
/// and must have `product(shape) * getNpyItemSize(dtype)` bytes.
std::string serializeNpy(NpyDType dtype, llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<char> data);

/// Writes an array to a `.npy` file (atomically: a partial file is never
/// left behind on error).
llvm::Error writeNpy(llvm::StringRef path, NpyDType dtype,
                     llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<char> data);

} // namespace mlir::qcc

#endif // QCC_SUPPORT_NPY_H
