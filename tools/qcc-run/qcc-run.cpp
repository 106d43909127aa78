//===- qcc-run.cpp - run a model on .npy inputs -----------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Config.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

namespace cl = llvm::cl;

static cl::OptionCategory runCategory("qcc-run options");
static cl::opt<std::string> modelFile(cl::Positional,
                                      cl::desc("<model.onnx|libmodel.so>"),
                                      cl::Required, cl::cat(runCategory));
static cl::list<std::string> inputs("input", cl::desc("NAME=FILE.npy"),
                                    cl::cat(runCategory));
static cl::opt<std::string> interp("interp", cl::desc("float|int"),
                                   cl::cat(runCategory));
static cl::list<std::string> shapes("shape", cl::desc("NAME=DxD"),
                                    cl::cat(runCategory));
static cl::opt<std::string> calibration("calibration",
                                        cl::desc("Calibration inputs"),
                                        cl::cat(runCategory));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Directory for outputs"),
                                      cl::cat(runCategory));
static cl::opt<unsigned> bench("bench", cl::desc("Time N runs"),
                               cl::cat(runCategory));
// libLLVM.so registers a hidden global `-threads` option of its own, so the
// documented `--threads` is renamed before parsing (see renameThreadsFlag).
static cl::opt<unsigned> threads("qcc-threads",
                                 cl::desc("Thread count (--threads N)"),
                                 cl::cat(runCategory));

/// Rewrites `--threads[=N]` / `-threads[=N]` to `--qcc-threads[=N]`.
static std::vector<const char *> renameThreadsFlag(int argc, char **argv,
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

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(runCategory);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "qcc-run version " << QCC_VERSION << "\n";
  });
  std::vector<std::string> storage;
  std::vector<const char *> args = renameThreadsFlag(argc, argv, storage);
  cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                              "qcc-run: run a model or a qcc-generated "
                              "library on .npy inputs\n");
  // Neither executor exists yet: the reference interpreter comes with the
  // ONNX frontend, generated libraries with the CPU backend.
  llvm::WithColor::error(llvm::errs(), "qcc-run")
      << "cannot run '" << modelFile
      << "': this qcc has neither the reference interpreter nor a code "
         "generator yet\n";
  return 1;
}
