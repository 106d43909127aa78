//===- ModelLibrary.cpp - load and profile a generated library ------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Support/ModelLibrary.h"
#include "qcc/Support/LibraryName.h"

#include "llvm/ADT/Twine.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <chrono>
#include <dlfcn.h>

using namespace mlir;
using namespace mlir::qcc;

llvm::Expected<std::unique_ptr<ModelLibrary>>
ModelLibrary::load(llvm::StringRef path) {
  // dlopen searches the library path for names without a slash.
  llvm::SmallString<256> file(path);
  llvm::sys::fs::make_absolute(file);
  void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return llvm::createStringError("cannot load '" + path + "': " + dlerror());
  std::unique_ptr<ModelLibrary> library(new ModelLibrary());
  library->handle = handle;
  library->prefix = getLibraryPrefix(path);
  std::vector<std::string> missing;
  auto bind = [&](auto &fn, const char *suffix) {
    std::string name = library->prefix + "_" + suffix;
    void *symbol = dlsym(handle, name.c_str());
    if (!symbol)
      missing.push_back(name);
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(symbol);
  };
  bind(library->create, "create");
  bind(library->destroy, "destroy");
  bind(library->run, "run");
  bind(library->numInputs, "num_inputs");
  bind(library->numOutputs, "num_outputs");
  bind(library->inputInfo, "input_info");
  bind(library->outputInfo, "output_info");
  bind(library->lastError, "last_error");
  bind(library->setNumThreads, "set_num_threads");
  bind(library->getNumThreads, "get_num_threads");
  bind(library->enableProfiling, "enable_profiling");
  bind(library->numOps, "num_ops");
  bind(library->opProfile, "op_profile");
  if (missing.size() == 13)
    return llvm::createStringError("'" + path +
                                   "' is not a qcc model library with prefix '" +
                                   library->prefix + "' (no " +
                                   library->prefix + "_create ...)");
  if (!missing.empty())
    return llvm::createStringError(
        "'" + path + "' lacks " + missing.front() +
        " (a library from an older qcc? compile the model again)");
  return std::move(library);
}

ModelLibrary::~ModelLibrary() {
  if (handle)
    dlclose(handle);
}

llvm::Expected<LibraryProfile>
mlir::qcc::profileLibrary(const ModelLibrary &library,
                          llvm::ArrayRef<qcc_tensor> inputs,
                          llvm::ArrayRef<qcc_tensor> outputs,
                          const ProfileOptions &options) {
  qcc_context *ctx = nullptr;
  if (library.create(&ctx) != QCC_OK)
    return llvm::createStringError("cannot create a context");
  auto error = [&](const llvm::Twine &what) {
    llvm::Error e =
        llvm::createStringError(what + ": " + library.lastError(ctx));
    library.destroy(ctx);
    return e;
  };
  // 0 selects the library's default (QCC_NUM_THREADS or all CPUs).
  if (library.setNumThreads(ctx, static_cast<int32_t>(options.threads)) !=
      QCC_OK)
    return error("cannot set " + llvm::Twine(options.threads) + " threads");
  auto runOnce = [&] {
    return library.run(ctx, inputs.data(), static_cast<int32_t>(inputs.size()),
                       outputs.data(), static_cast<int32_t>(outputs.size()));
  };
  for (unsigned i = 0; i < options.warmup; ++i)
    if (qcc_status s = runOnce())
      return error(llvm::formatv("{0}_run failed (status {1})",
                                 library.getPrefix(), static_cast<int>(s)));
  if (library.enableProfiling(ctx, 1) != QCC_OK)
    return error("cannot enable profiling");

  LibraryProfile profile;
  int32_t numOps = library.numOps();
  profile.ops.resize(numOps);
  std::vector<std::vector<int64_t>> opNs(numOps);
  std::vector<int64_t> previous(numOps, 0), runNs;
  auto start = std::chrono::steady_clock::now();
  while (runNs.size() < options.maxRuns) {
    auto before = std::chrono::steady_clock::now();
    if (qcc_status s = runOnce())
      return error(llvm::formatv("{0}_run failed (status {1})",
                                 library.getPrefix(), static_cast<int>(s)));
    auto after = std::chrono::steady_clock::now();
    runNs.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(after - before)
            .count());
    for (int32_t i = 0; i < numOps; ++i) {
      qcc_op_profile op;
      if (library.opProfile(ctx, i, &op) != QCC_OK)
        return error("cannot read the profile of op " + llvm::Twine(i));
      opNs[i].push_back(op.total_ns - previous[i]);
      previous[i] = op.total_ns;
      profile.ops[i].name = op.name;
      profile.ops[i].kernel = op.kernel;
    }
    if (runNs.size() >= options.minRuns &&
        std::chrono::duration<double>(after - start).count() >=
            options.minSeconds)
      break;
  }
  auto median = [](std::vector<int64_t> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  for (int32_t i = 0; i < numOps; ++i)
    profile.ops[i].medianNs = median(opNs[i]);
  profile.medianRunNs = median(runNs);
  profile.runs = static_cast<unsigned>(runNs.size());
  profile.threads = library.getNumThreads(ctx);
  library.destroy(ctx);
  return profile;
}
