//===- ThreadsFlag.cpp - the tools' --threads option ----------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Support/ThreadsFlag.h"

#include "llvm/ADT/StringRef.h"

std::vector<const char *>
mlir::qcc::renameThreadsFlag(int argc, char **argv,
                             std::vector<std::string> &storage) {
  storage.reserve(argc);
  std::vector<const char *> args;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    llvm::StringRef rest = arg.ltrim('-');
    if (i > 0 && arg.starts_with("-") &&
        (rest == "threads" || rest.starts_with("threads="))) {
      storage.push_back("--qcc-" + rest.str());
      args.push_back(storage.back().c_str());
      continue;
    }
    args.push_back(argv[i]);
  }
  return args;
}
