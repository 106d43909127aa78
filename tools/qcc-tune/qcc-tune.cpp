//===- qcc-tune.cpp - measure per-layer latencies for mixed precision -----===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc-tune MODEL [--shape NAME=DxD...] [--latency-table FILE] [--threads N]
//   [--configs W8A8,W4A8,W4A4] [--min-time S] [--repeat R] [--force]
//
// Loads MODEL like `qcc` (ONNX import + the prepare pipeline), finds every
// conv and matmul by constant weights -- the layers --precision=mixed
// chooses bit-widths for -- and times qcc_rt_linear, the kernel the
// generated library runs for each of them, on each layer shape at each
// configuration on this machine (LayerBenchmark.h). The times go into the
// JSON latency table (qcc/Pipelines/LatencyTable.h) that
// `qcc --precision=mixed --latency-budget=...` reads; shapes already in the
// table are kept unless --force. See docs/BitAllocation.md.
//
//===----------------------------------------------------------------------===//

#include "LayerBenchmark.h"

#include "qcc/Config.h"
#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Frontend/ONNX/LoadModel.h"
#include "qcc/Pipelines/LatencyTable.h"
#include "qcc/Pipelines/Pipelines.h"
#include "qcc/Runtime/RuntimeABI.h"
#include "qcc/Support/NodeDiagnostics.h"
#include "qcc/Support/ThreadsFlag.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory tuneCategory("qcc-tune options");
cl::opt<std::string>
    modelFile(cl::Positional,
              cl::desc("<model.onnx|model.onnxtext|model.mlir>"), cl::Required,
              cl::cat(tuneCategory));
cl::list<std::string> shapes("shape",
                             cl::desc("Fix an input's shape: NAME=D1xD2x..."),
                             cl::value_desc("NAME=DxD"), cl::cat(tuneCategory));
cl::opt<std::string>
    tablePath("latency-table",
              cl::desc("The table to add to (default: $XDG_CACHE_HOME/qcc/"
                       "latency.json, where qcc looks)"),
              cl::value_desc("FILE.json"), cl::cat(tuneCategory));
// `--threads`, renamed before parsing (qcc/Support/ThreadsFlag.h).
cl::opt<int> threads("qcc-threads",
                     cl::desc("Threads the kernels run on (--threads N; "
                              "default: QCC_NUM_THREADS, else one per online "
                              "CPU)"),
                     cl::value_desc("N"), cl::init(0), cl::cat(tuneCategory));
cl::opt<std::string> configs("configs", cl::desc("Configurations to measure"),
                             cl::value_desc("W8A8,W4A8,W4A4"),
                             cl::init("W8A8,W4A8,W4A4"), cl::cat(tuneCategory));
cl::opt<double> minTime("min-time",
                        cl::desc("Seconds of calls per batch (default 0.05)"),
                        cl::value_desc("S"), cl::init(0.05),
                        cl::cat(tuneCategory));
cl::opt<int> repeat("repeat",
                    cl::desc("Batches per measurement; the median is kept "
                             "(default 5)"),
                    cl::value_desc("R"), cl::init(5), cl::cat(tuneCategory));
cl::opt<bool> force("force",
                    cl::desc("Measure shapes already in the table again"),
                    cl::init(false), cl::cat(tuneCategory));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "qcc-tune") << message << "\n";
  return 1;
}

/// Releases a runtime context.
struct ContextDeleter {
  void operator()(qcc_context *ctx) const { qcc_rt_destroy(ctx); }
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(tuneCategory);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "qcc-tune version " << QCC_VERSION << "\n";
  });
  std::vector<std::string> storage;
  std::vector<const char *> args = qcc::renameThreadsFlag(argc, argv, storage);
  cl::ParseCommandLineOptions(
      static_cast<int>(args.size()), args.data(),
      "qcc-tune: measure qcc's kernels on a model's layers for "
      "--precision=mixed --latency-budget\n");

  SmallVector<qcc::LayerConfig> layerConfigs;
  SmallVector<StringRef> names;
  StringRef(configs).split(names, ',');
  for (StringRef name : names) {
    std::optional<qcc::LayerConfig> config = qcc::parseLayerConfig(name.trim());
    if (!config)
      return fail("invalid configuration '" + name +
                  "' in --configs (expected WxAy with x and y 8 or 4)");
    layerConfigs.push_back(*config);
  }
  if (threads < 0)
    return fail("--threads must be positive (or 0 for the default)");
  if (!(minTime > 0) || repeat < 1)
    return fail("--min-time must be positive and --repeat at least 1");
  std::string path =
      tablePath.empty() ? qcc::getDefaultLatencyTablePath() : tablePath;

  DialectRegistry registry;
  registry.insert<qcc::QccDialect, func::FuncDialect>();
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  qcc::NodeNameDiagnosticHandler nodeNames(&context);
  OwningOpRef<ModuleOp> module =
      qcc::loadModelFile(context, sourceMgr, modelFile, shapes,
                         [](const llvm::Twine &message) { fail(message); });
  if (!module)
    return 1;
  PassManager pm(&context);
  qcc::PreparePipelineOptions prepare;
  qcc::buildPreparePipeline(pm, prepare);
  if (failed(pm.run(*module)))
    return 1;
  auto functions = llvm::to_vector(module->getOps<func::FuncOp>());
  if (functions.size() != 1)
    return fail("expected one function in the model, found " +
                llvm::Twine(functions.size()));

  // The distinct layer shapes, in program order.
  std::vector<qcc::LayerShape> layerShapes;
  std::map<std::string, SmallVector<std::string>> layersOfKey;
  for (const qcc::QuantLayer &layer :
       qcc::collectQuantLayers(functions.front())) {
    llvm::Expected<qcc::LayerShape> shape = qcc::getLayerShape(layer);
    if (!shape) {
      layer.op->emitError(llvm::toString(shape.takeError()));
      return 1;
    }
    auto &users = layersOfKey[shape->getKey()];
    if (users.empty())
      layerShapes.push_back(*shape);
    users.push_back(layer.name);
  }
  if (layerShapes.empty())
    return fail("'" + modelFile +
                "' has no convolution or matmul by constant weights");

  qcc_context *raw = nullptr;
  if (qcc_rt_create_kernel_context(&raw) != QCC_OK)
    return fail("cannot create a runtime context");
  std::unique_ptr<qcc_context, ContextDeleter> ctx(raw);
  if (qcc_rt_set_num_threads(ctx.get(), threads) != QCC_OK)
    return fail(qcc_rt_last_error(ctx.get()));
  qcc::LatencyHost host =
      qcc::getCurrentHost(qcc_rt_get_num_threads(ctx.get()));

  qcc::LatencyTable table;
  table.host = host;
  if (llvm::sys::fs::exists(path)) {
    llvm::Expected<qcc::LatencyTable> old = qcc::LatencyTable::load(path);
    if (!old)
      return fail(llvm::toString(old.takeError()) +
                  " (delete it, or give another --latency-table)");
    if (old->host == host)
      table = std::move(*old);
    else
      llvm::errs() << "qcc-tune: " << path << " was measured on '"
                   << old->host.model << "' (" << old->host.cpu << ", "
                   << old->host.threads << " threads); starting a new table "
                   << "for this machine\n";
  }

  llvm::errs() << "qcc-tune: " << layerShapes.size() << " layer shape(s) x "
               << layerConfigs.size() << " configuration(s) on '" << host.model
               << "' (" << host.cpu << "), " << host.threads << " thread(s)\n";
  qcc::LayerBenchmarkOptions options;
  options.minSeconds = minTime;
  options.repeat = repeat;
  unsigned measured = 0, kept = 0;
  for (auto [i, shape] : llvm::enumerate(layerShapes)) {
    std::string key = shape.getKey();
    const auto &users = layersOfKey[key];
    llvm::errs() << llvm::formatv(
        "qcc-tune: [{0}/{1}] {2} ({3}{4})", i + 1, layerShapes.size(), key,
        users.front(),
        users.size() > 1
            ? llvm::formatv(" and {0} more", users.size() - 1).str()
            : std::string());
    for (const qcc::LayerConfig &config : layerConfigs) {
      if (!force && table.lookup(key, config)) {
        llvm::errs() << llvm::formatv(" {0} {1:f2} us (kept)", config.getName(),
                                      *table.lookup(key, config) * 1e3);
        ++kept;
        continue;
      }
      llvm::Expected<double> ms =
          qcc::measureLayerLatency(ctx.get(), shape, config, options);
      if (!ms) {
        llvm::errs() << "\n";
        return fail(llvm::toString(ms.takeError()));
      }
      table.layers[key][config.getName()] = *ms;
      llvm::errs() << llvm::formatv(" {0} {1:f2} us", config.getName(),
                                    *ms * 1e3);
      ++measured;
    }
    llvm::errs() << "\n";
  }
  if (llvm::Error error = table.save(path))
    return fail(llvm::toString(std::move(error)));
  llvm::errs() << "qcc-tune: measured " << measured << ", kept " << kept
               << "; wrote " << path << "\n";
  return 0;
}
