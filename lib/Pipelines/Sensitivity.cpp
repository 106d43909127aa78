//===- Sensitivity.cpp - forward-only layer sensitivity -------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// measureSensitivity (qcc/Pipelines/MixedPrecision.h): one integerized
// clone of the model per (layer, configuration), run by the integer
// interpreter on the calibration samples, compared with the all-W8A8
// model. Jobs run on worker threads (each clone is its own module in the
// shared context; the interpreter runs single-threaded inside a job).
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/MixedPrecision.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/xxhash.h"

#include <atomic>
#include <mutex>
#include <thread>

using namespace mlir;
using namespace mlir::qcc;

std::string mlir::qcc::getDefaultSensitivityCacheDir() {
  SmallString<256> dir;
  if (std::optional<std::string> xdg =
          llvm::sys::Process::GetEnv("XDG_CACHE_HOME")) {
    dir = *xdg;
  } else if (std::optional<std::string> home =
                 llvm::sys::Process::GetEnv("HOME")) {
    dir = *home;
    llvm::sys::path::append(dir, ".cache");
  } else {
    return "";
  }
  llvm::sys::path::append(dir, "qcc");
  return std::string(dir);
}

namespace {

/// A stable hash of the calibrated model (ops, attributes, constants'
/// bytes), the samples and the configurations.
uint64_t hashInputs(ModuleOp module, ArrayRef<CalibrationSample> samples,
                    ArrayRef<LayerConfig> configs) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "qcc-sensitivity-v1\n";
  module.walk([&](Operation *op) {
    os << op->getName() << '(' << op->getNumOperands() << ')';
    for (Type t : op->getResultTypes())
      os << t;
    for (NamedAttribute attr : op->getAttrs()) {
      os << attr.getName().strref() << '=';
      if (auto dense = dyn_cast<DenseElementsAttr>(attr.getValue())) {
        ArrayRef<char> raw = dense.getRawData();
        os << dense.getType() << ':'
           << llvm::xxh3_64bits(ArrayRef<uint8_t>(
                  reinterpret_cast<const uint8_t *>(raw.data()), raw.size()));
      } else {
        os << attr.getValue();
      }
      os << ';';
    }
    os << '\n';
  });
  for (const CalibrationSample &sample : samples)
    for (const Tensor &t : sample) {
      ArrayRef<char> bytes = t.getBytes();
      os << llvm::xxh3_64bits(ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()))
         << ',';
    }
  for (const LayerConfig &c : configs)
    os << c.getName() << ',';
  return llvm::xxh3_64bits(os.str());
}

/// The model integerized with layer `layer` (index into collectQuantLayers)
/// at `config` (none when layer < 0), run on every sample; the outputs
/// flattened into one vector of doubles.
FailureOr<std::vector<double>> runInteger(ModuleOp module, int64_t layer,
                                          const LayerConfig &config,
                                          ArrayRef<CalibrationSample> samples) {
  OwningOpRef<ModuleOp> clone = module.clone();
  auto fn = *clone->getOps<func::FuncOp>().begin();
  if (layer >= 0) {
    SmallVector<QuantLayer> layers = collectQuantLayers(fn);
    setLayerConfig(layers[layer].op, config);
  }
  PassManager pm(module.getContext());
  IntegerPipelineOptions integer;
  buildIntegerPipeline(pm, integer);
  if (failed(pm.run(*clone)))
    return failure();
  InterpreterOptions interp;
  interp.numThreads = 1;
  FailureOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::create(fn, interp);
  if (failed(interpreter))
    return failure();
  std::vector<double> outputs;
  for (const CalibrationSample &sample : samples) {
    FailureOr<SmallVector<Tensor>> results = (*interpreter)->run(sample);
    if (failed(results))
      return failure();
    for (const Tensor &t : *results) {
      if (t.getElementType() != ElementType::F32)
        return fn.emitError("sensitivity needs float outputs"), failure();
      const float *data = t.getData<float>();
      outputs.insert(outputs.end(), data, data + t.getNumElements());
    }
  }
  return outputs;
}

/// Reads a cache file: {"layers": [{"W4A8": x, ...}, ...]}.
std::optional<std::vector<llvm::StringMap<double>>>
readCache(StringRef path, size_t numLayers) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *object = json->getAsObject();
  const llvm::json::Array *layers =
      object ? object->getArray("layers") : nullptr;
  if (!layers || layers->size() != numLayers)
    return std::nullopt;
  std::vector<llvm::StringMap<double>> result;
  for (const llvm::json::Value &entry : *layers) {
    const llvm::json::Object *values = entry.getAsObject();
    if (!values)
      return std::nullopt;
    llvm::StringMap<double> map;
    for (const auto &[key, value] : *values) {
      std::optional<double> v = value.getAsNumber();
      if (!v)
        return std::nullopt;
      map[key.str()] = *v;
    }
    result.push_back(std::move(map));
  }
  return result;
}

void writeCache(StringRef path,
                ArrayRef<llvm::StringMap<double>> sensitivities) {
  llvm::json::Array layers;
  for (const llvm::StringMap<double> &map : sensitivities) {
    llvm::json::Object values;
    for (const auto &entry : map)
      values[entry.getKey()] = entry.getValue();
    layers.push_back(std::move(values));
  }
  std::error_code ec;
  llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path));
  // Written to a temporary name and renamed, so a reader never sees half.
  std::string temp = (path + ".tmp").str();
  llvm::raw_fd_ostream os(temp, ec);
  if (ec)
    return;
  os << llvm::json::Value(llvm::json::Object{{"layers", std::move(layers)}});
  os.close();
  if (!os.has_error())
    llvm::sys::fs::rename(temp, path);
}

} // namespace

LogicalResult mlir::qcc::measureSensitivity(ModuleOp module,
                                            ArrayRef<CalibrationSample> samples,
                                            const SensitivityOptions &options) {
  auto fns = llvm::to_vector(module.getOps<func::FuncOp>());
  if (fns.size() != 1)
    return module.emitError("sensitivity needs one function");
  func::FuncOp fn = fns.front();
  SmallVector<QuantLayer> layers = collectQuantLayers(fn);
  if (samples.empty())
    return fn.emitError("sensitivity needs calibration samples");
  samples = samples.take_front(std::min(samples.size(), options.maxSamples));

  // Cached?
  std::string cachePath;
  if (!options.cacheDir.empty()) {
    SmallString<256> path(options.cacheDir);
    llvm::sys::path::append(
        path, "sensitivity-" +
                  llvm::utohexstr(hashInputs(module, samples, options.configs),
                                  /*LowerCase=*/true) +
                  ".json");
    cachePath = std::string(path);
  }
  std::vector<llvm::StringMap<double>> sensitivities;
  if (!cachePath.empty()) {
    if (auto cached = readCache(cachePath, layers.size())) {
      sensitivities = std::move(*cached);
      if (options.progress)
        *options.progress << "sensitivity: " << layers.size()
                          << " layers from the cache " << cachePath << "\n";
    }
  }

  if (sensitivities.empty()) {
    FailureOr<std::vector<double>> base =
        runInteger(module, -1, LayerConfig{}, samples);
    if (failed(base))
      return failure();
    double norm = 0;
    for (double v : *base)
      norm += v * v;
    if (!(norm > 0))
      norm = 1;
    struct Job {
      unsigned layer;
      LayerConfig config;
      double omega = 0;
    };
    std::vector<Job> jobs;
    for (unsigned l = 0; l < layers.size(); ++l)
      for (const LayerConfig &c : options.configs)
        if (!(c == LayerConfig{8, 8}))
          jobs.push_back({l, c});
    unsigned threads = options.numThreads
                           ? options.numThreads
                           : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min<unsigned>(threads, std::max<size_t>(jobs.size(), 1));
    // Workers create attributes and run pass managers in the shared context;
    // its uniquers take locks only when multithreading is enabled.
    if (!module.getContext()->isMultithreadingEnabled())
      threads = 1;
    std::atomic<size_t> next{0}, done{0};
    std::atomic<bool> failedAny{false};
    std::mutex progressMutex;
    auto worker = [&] {
      for (size_t j; (j = next++) < jobs.size() && !failedAny;) {
        Job &job = jobs[j];
        FailureOr<std::vector<double>> out =
            runInteger(module, job.layer, job.config, samples);
        if (failed(out) || out->size() != base->size()) {
          failedAny = true;
          return;
        }
        double diff = 0;
        for (size_t i = 0; i < out->size(); ++i)
          diff += ((*out)[i] - (*base)[i]) * ((*out)[i] - (*base)[i]);
        job.omega = diff / norm;
        size_t finished = ++done;
        if (options.progress) {
          std::lock_guard<std::mutex> lock(progressMutex);
          *options.progress << "sensitivity: " << finished << "/" << jobs.size()
                            << " (" << layers[job.layer].name << " "
                            << job.config.getName() << ")\n";
        }
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
      pool.emplace_back(worker);
    worker();
    for (std::thread &t : pool)
      t.join();
    if (failedAny)
      return fn.emitError("sensitivity measurement failed");
    sensitivities.assign(layers.size(), {});
    for (const Job &job : jobs)
      sensitivities[job.layer][job.config.getName()] = job.omega;
    if (!cachePath.empty())
      writeCache(cachePath, sensitivities);
  }

  Builder b(module.getContext());
  for (auto [layer, values] : llvm::zip(layers, sensitivities)) {
    SmallVector<NamedAttribute> entries;
    for (const auto &entry : values)
      entries.push_back(
          b.getNamedAttr(entry.getKey(), b.getF64FloatAttr(entry.getValue())));
    layer.op->setAttr(kSensitivityAttrName, b.getDictionaryAttr(entries));
  }
  return success();
}
