//===- RunLibrary.h - qcc-run on a generated model library ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_TOOLS_QCC_RUN_RUNLIBRARY_H
#define QCC_TOOLS_QCC_RUN_RUNLIBRARY_H

#include "qcc/Interpreter/Tensor.h"
#include "qcc/Support/Npy.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::qcc {

/// The .npy file name (without extension) of an output named `name`: the
/// characters other than letters, digits, '.', '_' and '-' replaced by '_'.
std::string getOutputFileName(llvm::StringRef name);

/// Runs the generated library at `path` on `given` inputs (by name) and
/// writes one .npy per output into `outputDir`; with `profile`, first
/// prints every op's median time (over `bench` runs when non-zero).
/// Returns the exit code.
int runLibrary(llvm::StringRef path, llvm::StringMap<NpyArray> &given,
               llvm::StringRef outputDir, unsigned threads, unsigned bench,
               bool profile);

} // namespace mlir::qcc

#endif // QCC_TOOLS_QCC_RUN_RUNLIBRARY_H
