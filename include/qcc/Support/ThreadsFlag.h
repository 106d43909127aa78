//===- ThreadsFlag.h - the tools' --threads option --------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// libLLVM.so registers a hidden global `-threads` option of its own, so
// tools that document `--threads N` declare `--qcc-threads` and rename the
// flag before parsing the command line.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_SUPPORT_THREADSFLAG_H
#define QCC_SUPPORT_THREADSFLAG_H

#include <string>
#include <vector>

namespace mlir::qcc {

/// argv with `--threads[=N]` / `-threads[=N]` rewritten to
/// `--qcc-threads[=N]`; `storage` owns the rewritten strings.
std::vector<const char *> renameThreadsFlag(int argc, char **argv,
                                            std::vector<std::string> &storage);

} // namespace mlir::qcc

#endif // QCC_SUPPORT_THREADSFLAG_H
