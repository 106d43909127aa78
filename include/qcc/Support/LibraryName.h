//===- LibraryName.h - function prefix of a generated library ---*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// `qcc -o libNAME.so` exports NAME_create, NAME_run, ...; `qcc-run
// libNAME.so` finds them by the same rule.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_SUPPORT_LIBRARYNAME_H
#define QCC_SUPPORT_LIBRARYNAME_H

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Path.h"

#include <string>

namespace mlir::qcc {

/// The C identifier prefix of a library's functions: the file name without
/// directory, "lib" prefix and extension, other characters than letters and
/// digits replaced by '_' ("model_" prepended when that leaves no valid
/// identifier).
inline std::string getLibraryPrefix(llvm::StringRef path) {
  llvm::StringRef stem = llvm::sys::path::stem(path);
  stem.consume_front("lib");
  std::string prefix;
  for (char c : stem)
    prefix.push_back(llvm::isAlnum(c) ? c : '_');
  if (prefix.empty() || llvm::isDigit(prefix.front()))
    prefix.insert(0, "model_");
  return prefix;
}

} // namespace mlir::qcc

#endif // QCC_SUPPORT_LIBRARYNAME_H
