//===- ModelLibrary.h - load and profile a generated library ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// A library `qcc -o libNAME.so` generated, loaded with dlopen: its NAME_*
// entry points (docs/RuntimeABI.md), and a profiler that times every op of
// the model over several runs with NAME_op_profile. qcc-run runs libraries
// with it; qcc times the library it just built for --report.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_SUPPORT_MODELLIBRARY_H
#define QCC_SUPPORT_MODELLIBRARY_H

#include "qcc-c/qcc.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::qcc {

class ModelLibrary {
public:
  /// Loads `path` and binds NAME_* (NAME from the file name, as qcc
  /// derives it); an error names what is missing.
  static llvm::Expected<std::unique_ptr<ModelLibrary>> load(llvm::StringRef path);
  ~ModelLibrary();
  ModelLibrary(const ModelLibrary &) = delete;
  ModelLibrary &operator=(const ModelLibrary &) = delete;

  llvm::StringRef getPrefix() const { return prefix; }

  qcc_status (*create)(qcc_context **) = nullptr;
  void (*destroy)(qcc_context *) = nullptr;
  qcc_status (*run)(qcc_context *, const qcc_tensor *, int32_t,
                    const qcc_tensor *, int32_t) = nullptr;
  int32_t (*numInputs)() = nullptr;
  int32_t (*numOutputs)() = nullptr;
  qcc_status (*inputInfo)(int32_t, qcc_tensor_info *) = nullptr;
  qcc_status (*outputInfo)(int32_t, qcc_tensor_info *) = nullptr;
  const char *(*lastError)(const qcc_context *) = nullptr;
  qcc_status (*setNumThreads)(qcc_context *, int32_t) = nullptr;
  int32_t (*getNumThreads)(const qcc_context *) = nullptr;
  qcc_status (*enableProfiling)(qcc_context *, int32_t) = nullptr;
  int32_t (*numOps)() = nullptr;
  qcc_status (*opProfile)(const qcc_context *, int32_t,
                          qcc_op_profile *) = nullptr;

private:
  ModelLibrary() = default;
  void *handle = nullptr;
  std::string prefix;
};

/// Median wall-clock times of a library's ops over several runs.
struct LibraryProfile {
  struct Op {
    std::string name, kernel;
    int64_t medianNs = 0;
  };
  /// In program order.
  std::vector<Op> ops;
  /// Median of whole NAME_run calls (argument checks included).
  int64_t medianRunNs = 0;
  unsigned runs = 0;
  int32_t threads = 0;
};

struct ProfileOptions {
  /// Threads (0: the library's default, QCC_NUM_THREADS or all CPUs).
  unsigned threads = 0;
  /// Untimed runs first.
  unsigned warmup = 2;
  /// Timed runs: at least minRuns, and more until minSeconds have passed,
  /// at most maxRuns.
  unsigned minRuns = 10, maxRuns = 1000;
  double minSeconds = 0.5;
};

/// Runs the library on `inputs` into `outputs` with profiling enabled; an
/// error carries the library's message.
llvm::Expected<LibraryProfile> profileLibrary(const ModelLibrary &library,
                                              llvm::ArrayRef<qcc_tensor> inputs,
                                              llvm::ArrayRef<qcc_tensor> outputs,
                                              const ProfileOptions &options);

} // namespace mlir::qcc

#endif // QCC_SUPPORT_MODELLIBRARY_H
