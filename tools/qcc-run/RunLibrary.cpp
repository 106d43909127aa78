//===- RunLibrary.cpp - qcc-run on a generated model library --------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Loads libNAME.so with dlopen, binds the .npy inputs to the model's inputs
// by name through NAME_input_info, runs NAME_run and writes the outputs, the
// same files `qcc-run MODEL --interp=int` writes, so the two can be compared
// byte for byte.
//
//===----------------------------------------------------------------------===//

#include "RunLibrary.h"

#include "qcc-c/qcc.h"
#include "qcc/Support/LibraryName.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <dlfcn.h>

using namespace mlir;
using namespace mlir::qcc;

namespace {

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "qcc-run") << message << "\n";
  return 1;
}

/// The model library's entry points.
struct ModelApi {
  qcc_status (*create)(qcc_context **);
  void (*destroy)(qcc_context *);
  qcc_status (*run)(qcc_context *, const qcc_tensor *, int32_t,
                    const qcc_tensor *, int32_t);
  int32_t (*numInputs)();
  int32_t (*numOutputs)();
  qcc_status (*inputInfo)(int32_t, qcc_tensor_info *);
  qcc_status (*outputInfo)(int32_t, qcc_tensor_info *);
  const char *(*lastError)(const qcc_context *);
  qcc_status (*setNumThreads)(qcc_context *, int32_t);
};

} // namespace

/// A file name for an output: its name with characters outside
/// [A-Za-z0-9._-] replaced by '_'.
std::string mlir::qcc::getOutputFileName(llvm::StringRef name) {
  std::string file;
  for (char c : name)
    file += llvm::isAlnum(c) || c == '.' || c == '_' || c == '-' ? c : '_';
  if (file.empty() || file == "." || file == "..")
    file = "_" + file;
  return file;
}

int mlir::qcc::runLibrary(llvm::StringRef path,
                          llvm::StringMap<NpyArray> &given,
                          llvm::StringRef outputDir, unsigned threads,
                          unsigned bench) {
  void *handle = dlopen(path.str().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return fail("cannot load '" + path + "': " + dlerror());
  std::string prefix = getLibraryPrefix(path);
  ModelApi api;
  bool missing = false;
  auto bind = [&](auto &fn, const char *suffix) {
    std::string name = prefix + "_" + suffix;
    void *symbol = dlsym(handle, name.c_str());
    if (!symbol)
      missing = true;
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(symbol);
  };
  bind(api.create, "create");
  bind(api.destroy, "destroy");
  bind(api.run, "run");
  bind(api.numInputs, "num_inputs");
  bind(api.numOutputs, "num_outputs");
  bind(api.inputInfo, "input_info");
  bind(api.outputInfo, "output_info");
  bind(api.lastError, "last_error");
  bind(api.setNumThreads, "set_num_threads");
  if (missing)
    return fail("'" + path + "' is not a qcc model library with prefix '" +
                prefix + "' (no " + prefix + "_create ...)");

  // Inputs, by name.
  std::vector<Tensor> inputTensors;
  std::vector<qcc_tensor> inputs;
  bool ok = true;
  for (int32_t i = 0, e = api.numInputs(); i < e; ++i) {
    qcc_tensor_info info;
    if (api.inputInfo(i, &info) != QCC_OK)
      return fail("cannot query input " + llvm::Twine(i));
    auto it = given.find(info.name);
    if (it == given.end()) {
      fail(llvm::Twine("missing input '") + info.name + "'");
      ok = false;
      continue;
    }
    llvm::Expected<Tensor> tensor =
        tensorFromNpy(it->second, static_cast<ElementType>(info.dtype),
                      (llvm::Twine("input '") + info.name + "'").str());
    if (!tensor) {
      fail(llvm::toString(tensor.takeError()));
      ok = false;
      continue;
    }
    given.erase(it);
    inputTensors.push_back(std::move(*tensor));
  }
  for (auto &entry : given) {
    fail("the model has no input '" + entry.getKey() + "'");
    ok = false;
  }
  if (!ok)
    return 1;
  for (Tensor &t : inputTensors)
    inputs.push_back(qcc_tensor{
        t.getRawData(), static_cast<qcc_dtype>(t.getElementType()),
        static_cast<int32_t>(t.getShape().size()), t.getShape().data()});
  std::vector<Tensor> outputTensors;
  std::vector<qcc_tensor> outputs;
  std::vector<std::string> outputNames;
  for (int32_t i = 0, e = api.numOutputs(); i < e; ++i) {
    qcc_tensor_info info;
    if (api.outputInfo(i, &info) != QCC_OK)
      return fail("cannot query output " + llvm::Twine(i));
    outputNames.push_back(info.name);
    outputTensors.push_back(
        Tensor::allocate(static_cast<ElementType>(info.dtype),
                         llvm::ArrayRef<int64_t>(info.shape, info.rank)));
  }
  for (Tensor &t : outputTensors)
    outputs.push_back(qcc_tensor{
        t.getRawData(), static_cast<qcc_dtype>(t.getElementType()),
        static_cast<int32_t>(t.getShape().size()), t.getShape().data()});

  qcc_context *ctx = nullptr;
  if (api.create(&ctx) != QCC_OK)
    return fail("cannot create a context of '" + path + "'");
  auto runOnce = [&]() {
    qcc_status status =
        api.run(ctx, inputs.data(), static_cast<int32_t>(inputs.size()),
                outputs.data(), static_cast<int32_t>(outputs.size()));
    if (status != QCC_OK)
      fail(llvm::formatv("{0}_run failed (status {1}): {2}", prefix,
                         static_cast<int>(status), api.lastError(ctx)));
    return status == QCC_OK;
  };
  int rc = 0;
  if (threads &&
      api.setNumThreads(ctx, static_cast<int32_t>(threads)) != QCC_OK) {
    rc = fail(llvm::Twine("cannot set ") + llvm::Twine(threads) +
              " threads: " + api.lastError(ctx));
  } else if (bench) {
    if (!runOnce())
      rc = 1;
    std::vector<double> times;
    for (unsigned i = 0; i < bench && rc == 0; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (!runOnce())
        rc = 1;
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
    }
    if (rc == 0) {
      std::sort(times.begin(), times.end());
      llvm::outs() << llvm::formatv(
          "bench: {0} runs of {1}: median {2:f3} ms, min {3:f3} ms\n", bench,
          llvm::sys::path::filename(path), times[times.size() / 2],
          times.front());
    }
  }
  if (rc == 0 && !runOnce())
    rc = 1;
  api.destroy(ctx);
  if (rc != 0)
    return rc;

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create output directory '" + outputDir +
                "': " + ec.message());
  for (auto [i, tensor] : llvm::enumerate(outputTensors)) {
    std::string file = getOutputFileName(outputNames[i]);
    llvm::SmallString<256> out(outputDir);
    llvm::sys::path::append(out, file + ".npy");
    if (llvm::Error err = writeTensorToNpy(tensor, out))
      return fail(llvm::toString(std::move(err)));
    llvm::outs() << "output " << outputNames[i] << ": "
                 << getNpyDTypeName(getNpyDType(tensor.getElementType()))
                 << " (";
    llvm::interleave(tensor.getShape(), llvm::outs(), ", ");
    llvm::outs() << (tensor.getShape().size() == 1 ? ",)" : ")") << " -> "
                 << out << "\n";
  }
  return 0;
}
