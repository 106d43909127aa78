//===- LatencyTable.cpp - measured per-layer latencies (qcc-tune) ---------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/LatencyTable.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Pipelines/MixedPrecision.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qcc;

static constexpr StringLiteral kFormat = "qcc-latency-table";
static constexpr int64_t kVersion = 1;

static std::string joinDims(ArrayRef<int64_t> dims) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(dims))
    s += (i ? "x" : "") + std::to_string(d);
  return s;
}

std::string LayerShape::getKey() const {
  if (kind == Kind::MatMul)
    return "matmul m=" + std::to_string(m) + " k=" + std::to_string(k) +
           " n=" + std::to_string(n);
  return "conv x=" + joinDims(inputShape) + " k=" + joinDims(kernel) +
         " n=" + std::to_string(n) + " g=" + std::to_string(group) +
         " s=" + joinDims(strides) + " p=" + joinDims(pads) +
         " d=" + joinDims(dilations);
}

SmallVector<int64_t, 4> LayerShape::getConvOutputShape() const {
  SmallVector<int64_t, 4> out = {inputShape[0], n};
  size_t dims = kernel.size();
  for (size_t i = 0; i < dims; ++i) {
    int64_t extent = inputShape[2 + i] + pads[i] + pads[dims + i];
    int64_t window = dilations[i] * (kernel[i] - 1) + 1;
    out.push_back((extent - window) / strides[i] + 1);
  }
  return out;
}

llvm::Expected<LayerShape> mlir::qcc::getLayerShape(const QuantLayer &layer) {
  auto input = dyn_cast<RankedTensorType>(layer.input.getType());
  auto weight = dyn_cast<RankedTensorType>(layer.weight.getType());
  if (!input || !weight || !input.hasStaticShape() || !weight.hasStaticShape())
    return llvm::createStringError(
        "layer '%s' has dynamic shapes; fix the inputs' shapes with --shape",
        layer.name.c_str());
  LayerShape shape;
  if (auto conv = dyn_cast<ConvOp>(layer.op)) {
    shape.kind = LayerShape::Kind::Conv;
    shape.n = weight.getDimSize(0);
    shape.k = weight.getNumElements() / std::max<int64_t>(shape.n, 1);
    llvm::append_range(shape.inputShape, input.getShape());
    llvm::append_range(shape.kernel, weight.getShape().drop_front(2));
    llvm::append_range(shape.strides, conv.getStrides());
    llvm::append_range(shape.pads, conv.getPads());
    llvm::append_range(shape.dilations, conv.getDilations());
    shape.group = static_cast<int64_t>(conv.getGroup());
    return shape;
  }
  if (weight.getRank() != 2 || input.getRank() < 1)
    return llvm::createStringError(
        "layer '%s': a matmul by rank-%lld weights has no fused kernel to "
        "measure",
        layer.name.c_str(), static_cast<long long>(weight.getRank()));
  shape.k = weight.getDimSize(0);
  shape.n = weight.getDimSize(1);
  shape.m = input.getNumElements() / std::max<int64_t>(shape.k, 1);
  return shape;
}

LatencyHost mlir::qcc::getCurrentHost(int64_t threads) {
  LatencyHost host;
  host.cpu = llvm::sys::getHostCPUName().str();
  host.threads = threads;
  if (auto buffer = llvm::MemoryBuffer::getFileAsStream("/proc/cpuinfo")) {
    SmallVector<StringRef> lines;
    (*buffer)->getBuffer().split(lines, '\n');
    for (StringRef line : lines) {
      if (!line.starts_with("model name"))
        continue;
      host.model = line.split(':').second.trim().str();
      break;
    }
  }
  return host;
}

std::optional<double> LatencyTable::lookup(StringRef key,
                                           const LayerConfig &config) const {
  auto layer = layers.find(key.str());
  if (layer == layers.end())
    return std::nullopt;
  auto it = layer->second.find(config.getName());
  if (it == layer->second.end())
    return std::nullopt;
  return it->second;
}

llvm::Expected<LatencyTable> LatencyTable::load(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError("cannot read latency table '%s': %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return llvm::createStringError("latency table '%s' is not JSON: %s",
                                   path.str().c_str(),
                                   llvm::toString(json.takeError()).c_str());
  auto bad = [&](const llvm::Twine &why) {
    return llvm::createStringError("latency table '" + path + "': " + why);
  };
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != kFormat)
    return bad("not a qcc-tune table (\"format\" is not \"" + kFormat + "\")");
  if (root->getInteger("version") != kVersion)
    return bad("unsupported version (expected " + llvm::Twine(kVersion) +
               "); run qcc-tune again");
  LatencyTable table;
  if (const llvm::json::Object *host = root->getObject("host")) {
    table.host.cpu = host->getString("cpu").value_or("").str();
    table.host.model = host->getString("model").value_or("").str();
    table.host.threads = host->getInteger("threads").value_or(0);
  }
  const llvm::json::Object *layers = root->getObject("layers");
  if (!layers)
    return bad("no \"layers\" object");
  for (const auto &[key, value] : *layers) {
    const llvm::json::Object *configs = value.getAsObject();
    if (!configs)
      return bad("entry '" + key.str() + "' is not an object");
    auto &entry = table.layers[key.str()];
    for (const auto &[name, ms] : *configs) {
      std::optional<double> v = ms.getAsNumber();
      if (!parseLayerConfig(name.str()) || !v || !std::isfinite(*v) || *v <= 0)
        return bad("entry '" + key.str() + "': '" + name.str() +
                   "' is not a configuration with a positive time in ms");
      entry[name.str()] = *v;
    }
  }
  return table;
}

llvm::Error LatencyTable::save(StringRef path) const {
  StringRef dir = llvm::sys::path::parent_path(path);
  if (!dir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dir))
      return llvm::createStringError(ec, "cannot create '%s': %s",
                                     dir.str().c_str(), ec.message().c_str());
  llvm::json::Object layerObject;
  for (const auto &[key, configs] : layers) {
    llvm::json::Object entry;
    for (const auto &[name, ms] : configs)
      entry[name] = ms;
    layerObject[key] = std::move(entry);
  }
  llvm::json::Object root{
      {"format", kFormat},
      {"version", kVersion},
      {"host", llvm::json::Object{{"cpu", host.cpu},
                                  {"model", host.model},
                                  {"threads", host.threads}}},
      {"layers", std::move(layerObject)}};
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return llvm::createStringError(ec, "cannot write '%s': %s",
                                   path.str().c_str(), ec.message().c_str());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return llvm::Error::success();
}

std::string mlir::qcc::getDefaultLatencyTablePath() {
  SmallString<256> path(getDefaultSensitivityCacheDir());
  llvm::sys::path::append(path, "latency.json");
  return std::string(path);
}

LogicalResult mlir::qcc::attachLayerLatencies(func::FuncOp fn,
                                              const LatencyTable &table,
                                              ArrayRef<LayerConfig> configs,
                                              StringRef tablePath) {
  Builder builder(fn.getContext());
  for (const QuantLayer &layer : collectQuantLayers(fn)) {
    llvm::Expected<LayerShape> shape = getLayerShape(layer);
    if (!shape)
      return layer.op->emitError(llvm::toString(shape.takeError())), failure();
    std::string key = shape->getKey();
    SmallVector<NamedAttribute> entries;
    for (const LayerConfig &config : configs) {
      std::optional<double> ms = table.lookup(key, config);
      if (!ms)
        return layer.op->emitError("layer '")
                   << layer.name << "' (" << key << ") has no "
                   << config.getName() << " time in the latency table '"
                   << tablePath
                   << "'; measure it with `qcc-tune MODEL [--shape ...] "
                      "--latency-table="
                   << tablePath << "` on this machine",
               failure();
      entries.push_back(
          builder.getNamedAttr(config.getName(), builder.getF64FloatAttr(*ms)));
    }
    layer.op->setAttr(kLatencyAttrName, builder.getDictionaryAttr(entries));
  }
  return success();
}
