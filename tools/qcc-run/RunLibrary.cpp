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
#include "qcc/Support/ModelLibrary.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>

using namespace mlir;
using namespace mlir::qcc;

namespace {

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "qcc-run") << message << "\n";
  return 1;
}

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

/// The per-op table (program order) and the time per kernel (largest
/// first), as shares of the ops' total.
static void printProfile(const LibraryProfile &profile, llvm::StringRef name,
                         llvm::raw_ostream &os) {
  int64_t total = 0;
  llvm::StringMap<int64_t> perKernel;
  for (const LibraryProfile::Op &op : profile.ops) {
    total += op.medianNs;
    perKernel[op.kernel] += op.medianNs;
  }
  auto share = [&](int64_t ns) { return total ? 100.0 * ns / total : 0.0; };
  os << llvm::formatv("profile: {0} runs of {1} on {2} thread{3}: median run "
                      "{4:f4} ms, ops {5:f4} ms\n",
                      profile.runs, name, profile.threads,
                      profile.threads == 1 ? "" : "s",
                      profile.medianRunNs / 1e6, total / 1e6);
  os << llvm::formatv("  {0,4}  {1,-40} {2,-14} {3,10} {4,7}\n", "#", "op",
                      "kernel", "median ms", "share");
  for (auto [i, op] : llvm::enumerate(profile.ops))
    os << llvm::formatv("  {0,4}  {1,-40} {2,-14} {3,10:f4} {4,6:f1}%\n", i,
                        op.name, op.kernel, op.medianNs / 1e6,
                        share(op.medianNs));
  std::vector<std::pair<int64_t, std::string>> kernels;
  for (auto &entry : perKernel)
    kernels.emplace_back(entry.getValue(), entry.getKey().str());
  std::sort(kernels.rbegin(), kernels.rend());
  os << "  by kernel:\n";
  for (auto &[ns, kernel] : kernels)
    os << llvm::formatv("        {0,-55} {1,10:f4} {2,6:f1}%\n", kernel,
                        ns / 1e6, share(ns));
}

int mlir::qcc::runLibrary(llvm::StringRef path,
                          llvm::StringMap<NpyArray> &given,
                          llvm::StringRef outputDir, unsigned threads,
                          unsigned bench, bool profile) {
  llvm::Expected<std::unique_ptr<ModelLibrary>> loaded =
      ModelLibrary::load(path);
  if (!loaded)
    return fail(llvm::toString(loaded.takeError()));
  const ModelLibrary &api = **loaded;
  llvm::StringRef prefix = api.getPrefix();

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

  if (profile) {
    ProfileOptions options;
    options.threads = threads;
    if (bench)
      options.minRuns = options.maxRuns = bench;
    llvm::Expected<LibraryProfile> result =
        profileLibrary(api, inputs, outputs, options);
    if (!result)
      return fail(llvm::toString(result.takeError()));
    printProfile(*result, llvm::sys::path::filename(path), llvm::outs());
  }

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
  } else if (bench && !profile) {
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
