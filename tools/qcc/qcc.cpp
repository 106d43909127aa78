//===- qcc.cpp - the qcc compiler driver ------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc MODEL -o OUTPUT [options]: see docs/CommandLine.md for the contract.
// Each stage of the pipeline is a builder function from qcc/Pipelines, shared
// with qcc-opt. Options whose stage does not exist yet are rejected with a
// message naming the missing stage, never silently ignored.
//
//===----------------------------------------------------------------------===//

#include "qcc/Config.h"
#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Frontend/ONNX/LoadModel.h"
#include "qcc/Frontend/ONNX/ONNXImporter.h"
#include "qcc/Pipelines/MeasureLibrary.h"
#include "qcc/Pipelines/Pipelines.h"
#include "qcc/Pipelines/Quantize.h"
#include "qcc/Pipelines/QuantizeFlags.h"
#include "qcc/Support/LibraryName.h"
#include "qcc/Support/NodeDiagnostics.h"
#include "qcc/Support/ShapeSpec.h"
#include "qcc/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class EmitKind { Mlir, Llvm, Obj, Ptx, Lib };
enum class Target { Cpu, Cuda };
enum class Precision { Int8, Mixed, Fp32 };

cl::OptionCategory qccCategory("qcc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model>"),
                               cl::Required, cl::cat(qccCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(qccCategory));
cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Lib),
    cl::values(clEnumValN(EmitKind::Mlir, "mlir", "qcc dialect IR"),
               clEnumValN(EmitKind::Llvm, "llvm", "LLVM IR"),
               clEnumValN(EmitKind::Obj, "obj", "an object file"),
               clEnumValN(EmitKind::Ptx, "ptx", "PTX (--target=cuda)"),
               clEnumValN(EmitKind::Lib, "lib",
                          "a shared library and its C header (default)")),
    cl::cat(qccCategory));
cl::opt<Target>
    target("target", cl::desc("Code generation target"), cl::init(Target::Cpu),
           cl::values(clEnumValN(Target::Cpu, "cpu",
                                 "x86-64 (AVX-512 VNNI + portable)"),
                      clEnumValN(Target::Cuda, "cuda", "NVIDIA Tensor Cores")),
           cl::cat(qccCategory));
cl::list<std::string> shapes("shape",
                             cl::desc("Fix an input's shape: NAME=D1xD2x..."),
                             cl::value_desc("NAME=DxD"), cl::cat(qccCategory));
cl::opt<Precision> precision(
    "precision", cl::desc("Numeric precision of the compiled model"),
    cl::init(Precision::Int8),
    cl::values(clEnumValN(Precision::Int8, "int8", "integer-only, 8-bit"),
               clEnumValN(Precision::Mixed, "mixed",
                          "per-layer bit-widths chosen by ILP"),
               clEnumValN(Precision::Fp32, "fp32", "float reference")),
    cl::cat(qccCategory));
qcc::QuantizeFlags quantizeFlags(qccCategory);
cl::opt<std::string> sparsity("sparsity", cl::desc("N:M structured sparsity"),
                              cl::value_desc("N:M"), cl::cat(qccCategory));
cl::opt<std::string> removePadding("remove-padding",
                                   cl::desc("Padding-token removal"),
                                   cl::value_desc("auto|off"),
                                   cl::cat(qccCategory));
cl::opt<std::string> softmax("softmax", cl::desc("Softmax algorithm"),
                             cl::value_desc("algorithm"), cl::cat(qccCategory));
cl::opt<std::string> mcpu("mcpu",
                          cl::desc("CPU of the generated code: an LLVM CPU "
                                   "name, or native"),
                          cl::value_desc("cpu"), cl::init("x86-64-v2"),
                          cl::cat(qccCategory));
cl::opt<bool> generateElementwise(
    "codegen-elementwise",
    cl::desc("Compile per-tensor requant/requant_add groups into generated "
             "vector kernels (linalg -> vector -> LLVM) instead of runtime "
             "calls (default on)"),
    cl::init(true), cl::cat(qccCategory));
cl::opt<bool> directConv(
    "direct-conv",
    cl::desc("Compute 2-D one-group undilated convolutions from padded "
             "planes of four interleaved channels instead of im2col "
             "(default on)"),
    cl::init(true), cl::cat(qccCategory));
cl::opt<char> optLevel("O", cl::desc("Optimisation level (0-3)"), cl::Prefix,
                       cl::init('2'), cl::value_desc("N"),
                       cl::cat(qccCategory));
/// Prints the importer's operator table and exits, like --version, so that
/// scripts (the onnx-backend test runner) need no copy of the list.
cl::opt<bool> listONNXOps(
    "list-onnx-ops",
    cl::desc("Print the supported ONNX operators, one per line, and exit"),
    cl::ValueDisallowed, cl::cat(qccCategory), cl::callback([](const bool &) {
      for (StringRef op : qcc::getSupportedONNXOps())
        llvm::outs() << op << "\n";
      llvm::outs().flush();
      std::exit(0);
    }));

/// Prints `qcc: error: <message>` and returns the failure exit code.
int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "qcc") << message << "\n";
  return 1;
}

/// Options whose pipeline stage is not built yet, with the stage's name.
/// Giving one of them is an error rather than a silent no-op.
struct PendingOption {
  cl::Option *option;
  const char *stage;
};

LogicalResult rejectPendingOptions() {
  PendingOption pending[] = {
      {&sparsity, "N:M sparsity"},
      {&removePadding, "padding removal"},
      {&softmax, "softmax rewriting"},
  };
  bool ok = true;
  for (const PendingOption &p : pending) {
    if (p.option->getNumOccurrences() == 0)
      continue;
    fail("--" + p.option->ArgStr + " is not supported yet: this qcc has no " +
         p.stage + " stage");
    ok = false;
  }
  if (failed(quantizeFlags.validate(precision == Precision::Mixed,
                                    [](const llvm::Twine &m) { fail(m); })))
    ok = false;
  if (precision == Precision::Fp32 && quantizeFlags.anyIntegerFlagGiven()) {
    fail("--calibration, --io and --layer-bits apply to integer precision, "
         "not --precision=fp32");
    ok = false;
  }
  if (target == Target::Cuda) {
    fail("--target=cuda is not supported yet: this qcc has no CUDA backend");
    ok = false;
  }
  if (emitKind == EmitKind::Ptx) {
    fail("--emit=ptx is not supported yet: this qcc has no CUDA backend");
    ok = false;
  } else if (emitKind != EmitKind::Mlir && precision == Precision::Fp32) {
    fail("the CPU backend compiles integer graphs: --emit=lib/obj/llvm need "
         "--precision=int8 (the default) or mixed");
    ok = false;
  }
  if (emitKind == EmitKind::Lib && outputFile == "-") {
    fail("--emit=lib writes a shared library and its header: give -o "
         "libNAME.so");
    ok = false;
  }
  if (outputFile != "-") {
    // Checked before the (long) compile, and said plainly: the linker or
    // the file system would otherwise report it at the end.
    StringRef dir = llvm::sys::path::parent_path(outputFile);
    if (!dir.empty() && !llvm::sys::fs::is_directory(dir)) {
      fail(llvm::Twine("cannot write '") + outputFile.getValue() +
           "': directory '" + dir + "' does not exist");
      ok = false;
    }
  }
  if (optLevel < '0' || optLevel > '3') {
    fail("invalid optimisation level -O" + std::string(1, optLevel) +
         " (expected -O0 to -O3)");
    ok = false;
  }
  return success(ok);
}

/// With --io=int, tells the user how to convert the integer inputs and
/// outputs: real = scale * (q - zero_point).
void printIntegerInterface(ModuleOp module) {
  for (auto fn : module.getOps<func::FuncOp>()) {
    auto print = [&](StringRef kind, DictionaryAttr attrs, Type type) {
      auto name = attrs ? attrs.getAs<StringAttr>("qcc.name") : nullptr;
      auto scale = attrs ? attrs.getAs<FloatAttr>("qcc.scale") : nullptr;
      auto zp = attrs ? attrs.getAs<IntegerAttr>("qcc.zero_point") : nullptr;
      llvm::errs() << "qcc: " << kind << " '" << (name ? name.getValue() : "")
                   << "' " << type;
      if (scale)
        llvm::errs() << " scale " << scale.getValueAsDouble() << " zero point "
                     << (zp ? zp.getInt() : 0);
      llvm::errs() << "\n";
    };
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      print("input", fn.getArgAttrDict(i), fn.getArgumentTypes()[i]);
    for (unsigned i = 0, e = fn.getNumResults(); i < e; ++i)
      print("output", fn.getResultAttrDict(i), fn.getResultTypes()[i]);
  }
}

/// Whether `module` is already an integer graph (qcc IR written by
/// --emit=mlir, or by hand): no op computes a float value but the boundary
/// qcc.dequantize.
bool isIntegerGraph(ModuleOp module) {
  WalkResult result = module.walk([](Operation *op) {
    if (isa<qcc::DequantizeOp>(op))
      return WalkResult::advance();
    for (Type t : op->getResultTypes())
      if (isa<FloatType>(getElementTypeOrSelf(t)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

/// --emit=llvm|obj|lib: the CPU backend.
bool emitCode(ModuleOp module) {
  qcc::CPUTargetOptions options;
  options.cpu = mcpu;
  options.generateElementwise = generateElementwise;
  options.directConv = directConv;
  options.prefix = emitKind == EmitKind::Lib ? qcc::getLibraryPrefix(outputFile)
                                             : std::string("model");
  FailureOr<OwningOpRef<ModuleOp>> lowered =
      qcc::lowerToRuntimeCalls(module, options);
  if (failed(lowered))
    return false;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> ir =
      qcc::translateToLLVMIR(**lowered, llvmContext);
  if (!ir) {
    fail("translation to LLVM IR failed");
    return false;
  }
  std::string error;
  if (emitKind == EmitKind::Llvm) {
    std::unique_ptr<llvm::ToolOutputFile> output =
        openOutputFile(outputFile, &error);
    if (!output)
      return fail(error), false;
    ir->print(output->os(), nullptr);
    output->keep();
    return true;
  }
  if (emitKind == EmitKind::Obj) {
    if (failed(qcc::emitObjectFile(*ir, options, outputFile, error)))
      return fail(error), false;
    return true;
  }
  SmallString<128> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("qcc-model", "o", object))
    return fail("cannot create a temporary object file: " + ec.message()),
           false;
  bool ok = succeeded(qcc::emitObjectFile(*ir, options, object, error)) &&
            succeeded(qcc::linkSharedLibrary(object, outputFile, error));
  llvm::sys::fs::remove(object);
  if (!ok)
    return fail(error), false;
  SmallString<256> header(llvm::sys::path::parent_path(outputFile));
  llvm::sys::path::append(header, options.prefix + ".h");
  std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(header, &error);
  if (!out)
    return fail(error), false;
  out->os() << qcc::generateHeader(module, options);
  out->keep();
  llvm::errs() << "qcc: wrote " << outputFile << " and " << header << "\n";
  return true;
}

/// Times the library just written (per-op profiles) for the mixed-precision
/// report, prints the measured totals and writes the report. A library for
/// another CPU, or one that cannot be timed, leaves the measured latency
/// out with a warning.
bool writeMeasuredReport(qcc::DeferredReport &deferred, Location loc) {
  qcc::CPUTargetOptions target;
  target.cpu = mcpu;
  if (!qcc::canRunOnHost(target)) {
    llvm::WithColor::warning(llvm::errs(), "qcc")
        << "-mcpu=" << mcpu
        << " code does not run on this machine: the report has no measured "
           "latency\n";
  } else {
    const qcc::CalibrationSample *sample =
        deferred.sample ? &*deferred.sample : nullptr;
    llvm::errs() << "qcc: timing " << outputFile
                 << " for the report (per-op profiles)\n";
    llvm::Expected<qcc::MeasuredLatency> measured =
        qcc::measureLibraryLatency(outputFile, deferred.report.result, sample,
                                   deferred.latencyThreads);
    if (!measured) {
      llvm::WithColor::warning(llvm::errs(), "qcc")
          << "cannot time " << outputFile << ": "
          << llvm::toString(measured.takeError())
          << "; the report has no measured latency\n";
    } else {
      qcc::printMeasuredLatency(deferred.report.result, *measured,
                                llvm::errs());
      deferred.report.measured = std::move(*measured);
    }
  }
  return succeeded(qcc::writeBitAllocationReport(
      deferred.report, deferred.path, loc));
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerAsmPrinterCLOptions();
  qcc::registerQccPipelines();
  cl::HideUnrelatedOptions(qccCategory);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "qcc version " << QCC_VERSION << " (LLVM/MLIR " << QCC_LLVM_VERSION
       << ")\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "qcc: ahead-of-time compiler from ONNX models to integer-only code\n");

  if (failed(rejectPendingOptions()))
    return 1;

  DialectRegistry registry;
  registry.insert<qcc::QccDialect, func::FuncDialect>();
  MLIRContext context(registry);
  // Errors name the ONNX node; a dump of the whole function after each
  // one helps nobody.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  qcc::NodeNameDiagnosticHandler nodeNames(&context);

  OwningOpRef<ModuleOp> module =
      qcc::loadModelFile(context, sourceMgr, inputFile, shapes,
                         [](const llvm::Twine &message) { fail(message); });
  if (!module)
    return 1;

  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  qcc::PreparePipelineOptions prepare;
  qcc::buildPreparePipeline(pm, prepare);
  if (failed(pm.run(*module)))
    return 1;

  // A mixed-precision report waits for the library, to add its measured
  // latency.
  std::optional<qcc::DeferredReport> report;
  bool integerInput = llvm::sys::path::extension(inputFile) == ".mlir" &&
                      isIntegerGraph(*module);
  if (integerInput && precision != Precision::Fp32)
    llvm::errs() << "qcc: note: '" << inputFile
                 << "' is an integer graph already: no quantization\n";
  if (precision != Precision::Fp32 && !integerInput) {
    qcc::QuantizeOptions quantize =
        quantizeFlags.getOptions(precision == Precision::Mixed);
    quantize.progress = &llvm::errs();
    quantize.calibrationOptions.progress = &llvm::errs();
    if (quantize.mixed && !quantize.report.empty() &&
        emitKind == EmitKind::Lib)
      quantize.deferredReport = &report.emplace();
    if (failed(qcc::quantizeModule(*module, quantize)))
      return 1;
    if (quantize.io == "int")
      printIntegerInterface(*module);
    if (quantize.mixed && !quantize.report.empty() &&
        emitKind != EmitKind::Lib)
      llvm::errs() << "qcc: note: the report has no measured latency (it "
                      "times the library; --emit=lib)\n";
  }

  if (emitKind == EmitKind::Mlir) {
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> output =
        openOutputFile(outputFile, &error);
    if (!output)
      return fail(error);
    module->print(output->os());
    output->keep();
    return 0;
  }
  if (!emitCode(*module))
    return 1;
  if (report)
    return writeMeasuredReport(*report, module->getLoc()) ? 0 : 1;
  return 0;
}
