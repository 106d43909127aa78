//===- MeasureLibrary.cpp - measured per-layer latency of a library -------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/MeasureLibrary.h"
#include "qcc/Support/ModelLibrary.h"

#include "llvm/ADT/StringMap.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qcc;

llvm::Expected<MeasuredLatency>
mlir::qcc::measureLibraryLatency(llvm::StringRef path,
                                 const BitAllocationResult &result,
                                 const CalibrationSample *sample,
                                 unsigned threads) {
  llvm::Expected<std::unique_ptr<ModelLibrary>> library =
      ModelLibrary::load(path);
  if (!library)
    return library.takeError();
  const ModelLibrary &api = **library;

  // Buffers for every input and output.
  std::vector<Tensor> buffers;
  std::vector<qcc_tensor> inputs, outputs;
  auto allocate = [&](const qcc_tensor_info &info,
                      const Tensor *given) -> llvm::Error {
    llvm::ArrayRef<int64_t> shape(info.shape, info.rank);
    Tensor t = Tensor::zeros(static_cast<ElementType>(info.dtype), shape);
    if (!t)
      return llvm::createStringError(llvm::Twine("cannot allocate '") +
                                     info.name + "'");
    if (given && given->getElementType() == t.getElementType() &&
        given->getNumElements() == t.getNumElements())
      std::memcpy(t.getRawData(), given->getRawData(), t.getSizeInBytes());
    buffers.push_back(t);
    return llvm::Error::success();
  };
  for (int32_t i = 0, e = api.numInputs(); i < e; ++i) {
    qcc_tensor_info info;
    if (api.inputInfo(i, &info) != QCC_OK)
      return llvm::createStringError("cannot query input " + llvm::Twine(i));
    const Tensor *given =
        sample && static_cast<size_t>(i) < sample->size() ? &(*sample)[i]
                                                           : nullptr;
    if (llvm::Error err = allocate(info, given))
      return std::move(err);
    inputs.push_back({buffers.back().getRawData(), info.dtype, info.rank,
                      info.shape});
  }
  for (int32_t i = 0, e = api.numOutputs(); i < e; ++i) {
    qcc_tensor_info info;
    if (api.outputInfo(i, &info) != QCC_OK)
      return llvm::createStringError("cannot query output " + llvm::Twine(i));
    if (llvm::Error err = allocate(info, nullptr))
      return std::move(err);
    outputs.push_back({buffers.back().getRawData(), info.dtype, info.rank,
                       info.shape});
  }

  ProfileOptions options;
  options.threads = threads;
  llvm::Expected<LibraryProfile> profile =
      profileLibrary(api, inputs, outputs, options);
  if (!profile)
    return profile.takeError();

  llvm::StringMap<int64_t> perName;
  for (const LibraryProfile::Op &op : profile->ops)
    perName[op.name] += op.medianNs;
  MeasuredLatency measured;
  for (const auto &layer : result.layers) {
    auto it = perName.find(layer.name);
    if (it == perName.end()) {
      measured.layerMs.push_back(std::nullopt);
      continue;
    }
    double ms = it->second / 1e6;
    measured.layerMs.push_back(ms);
    measured.layersMs += ms;
  }
  measured.runMs = profile->medianRunNs / 1e6;
  measured.runs = profile->runs;
  measured.threads = profile->threads;
  return measured;
}
