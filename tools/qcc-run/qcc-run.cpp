//===- qcc-run.cpp - run a model on .npy inputs -----------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc-run MODEL --input NAME=FILE.npy ... [options]: loads the model like
// `qcc` (ONNX import + the prepare pipeline, or qcc IR), runs it in the
// float reference interpreter and writes one .npy file per output. See
// docs/Interpreter.md. The integer interpreter and generated libraries
// (`libmodel.so`) do not exist yet and are rejected with a message.
//
//===----------------------------------------------------------------------===//

#include "qcc/Config.h"
#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Frontend/ONNX/LoadModel.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Pipelines/Pipelines.h"
#include "qcc/Pipelines/QuantizeFlags.h"

#include "RunLibrary.h"
#include "qcc/Support/NodeDiagnostics.h"
#include "qcc/Support/Npy.h"
#include "qcc/Support/ShapeSpec.h"
#include "qcc/Support/ThreadsFlag.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>
#include <cassert>
#include <chrono>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory runCategory("qcc-run options");
cl::opt<std::string>
    modelFile(cl::Positional,
              cl::desc("<model.onnx|model.onnxtext|model.mlir>"), cl::Required,
              cl::cat(runCategory));
cl::list<std::string>
    inputs("input",
           cl::desc("A graph input: NAME=FILE.npy, or FILE.npz holding "
                    "every input by name"),
           cl::value_desc("NAME=FILE.npy|FILE.npz"), cl::cat(runCategory));
cl::opt<std::string> interp("interp",
                            cl::desc("Interpreter: float (default) or int"),
                            cl::value_desc("float|int"), cl::init("float"),
                            cl::cat(runCategory));
cl::list<std::string> shapes("shape",
                             cl::desc("Fix an input's shape: NAME=D1xD2x..."),
                             cl::value_desc("NAME=DxD"), cl::cat(runCategory));
cl::opt<std::string> precision(
    "precision",
    cl::desc("Precision of --interp=int: int8 (default) or mixed (per-layer "
             "bit-widths chosen by ILP, like qcc --precision=mixed)"),
    cl::value_desc("int8|mixed"), cl::init("int8"), cl::cat(runCategory));
qcc::QuantizeFlags quantizeFlags(runCategory);
cl::opt<std::string>
    emitIR("emit-integer-ir",
           cl::desc("With --interp=int, also write the integer graph to FILE"),
           cl::value_desc("FILE"), cl::cat(runCategory));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Directory for the output .npy files "
                                        "(default: the current directory)"),
                               cl::value_desc("dir"), cl::init("."),
                               cl::cat(runCategory));
cl::opt<unsigned> bench("bench",
                        cl::desc("After one warm-up run, time N runs and "
                                 "print the median and minimum"),
                        cl::value_desc("N"), cl::init(0), cl::cat(runCategory));
cl::opt<bool> profile("profile",
                      cl::desc("For a generated library: print every op's "
                               "median time over several runs (--bench N "
                               "runs, or at least 10 and 0.5 s)"),
                      cl::init(false), cl::cat(runCategory));
// libLLVM.so registers a hidden global `-threads` option of its own, so the
// documented `--threads` is renamed before parsing (qcc/Support/ThreadsFlag.h).
cl::opt<unsigned> threads("qcc-threads",
                          cl::desc("Threads to run on (--threads N; default "
                                   "0: one per hardware thread)"),
                          cl::value_desc("N"), cl::init(0),
                          cl::cat(runCategory));

/// Prints `qcc-run: error: <message>` and returns the failure exit code.
int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "qcc-run") << message << "\n";
  return 1;
}

/// Rejects the options whose executor or stage does not exist yet.
LogicalResult rejectPendingOptions() {
  bool ok = true;
  if (interp != "float" && interp != "int") {
    fail("invalid --interp value '" + interp + "' (expected float or int)");
    ok = false;
  }
  if (interp == "float" &&
      (quantizeFlags.anyIntegerFlagGiven() || emitIR.getNumOccurrences() ||
       precision.getNumOccurrences())) {
    fail("--calibration, --io, --layer-bits, --precision and "
         "--emit-integer-ir apply to --interp=int");
    ok = false;
  }
  if (precision != "int8" && precision != "mixed") {
    fail("invalid --precision=" + precision + " (expected int8 or mixed)");
    ok = false;
  }
  if (failed(quantizeFlags.validate(precision == "mixed",
                                    [](const llvm::Twine &m) { fail(m); })))
    ok = false;
  if (llvm::sys::path::extension(modelFile) == ".so" &&
      (interp.getNumOccurrences() || quantizeFlags.anyIntegerFlagGiven() ||
       shapes.getNumOccurrences() || emitIR.getNumOccurrences())) {
    fail("--interp, --calibration, --io, --shape, --layer-bits and "
         "--emit-integer-ir apply to models, not to a generated library ('" +
         modelFile + "')");
    ok = false;
  }
  if (profile && llvm::sys::path::extension(modelFile) != ".so") {
    fail("--profile applies to a generated library (libNAME.so), not to '" +
         modelFile + "'");
    ok = false;
  }
  if (bench.getNumOccurrences() && bench == 0) {
    fail("--bench expects a positive number of runs");
    ok = false;
  }
  return success(ok);
}

/// Loads the model like `qcc`: ONNX through the importer, anything else as
/// qcc IR; then runs the prepare pipeline.
OwningOpRef<ModuleOp> loadModel(MLIRContext &context,
                                llvm::SourceMgr &sourceMgr) {
  OwningOpRef<ModuleOp> module =
      qcc::loadModelFile(context, sourceMgr, modelFile, shapes,
                         [](const llvm::Twine &message) { fail(message); });
  if (!module)
    return nullptr;
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return nullptr;
  qcc::PreparePipelineOptions prepare;
  qcc::buildPreparePipeline(pm, prepare);
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

/// The function to run: @main, or the module's only function.
func::FuncOp findEntry(ModuleOp module) {
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  auto funcs = module.getOps<func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) == 1)
    return *funcs.begin();
  fail("'" + modelFile +
       "' has no function @main and not exactly one function to run");
  return nullptr;
}

/// Name of argument or result `index`: its `qcc.name`, else argN/resultN.
std::string getValueName(func::FuncOp fn, unsigned index, bool isResult) {
  StringAttr name = isResult
                        ? fn.getResultAttrOfType<StringAttr>(index, "qcc.name")
                        : fn.getArgAttrOfType<StringAttr>(index, "qcc.name");
  if (name)
    return name.str();
  return (isResult ? "result" : "arg") + std::to_string(index);
}

std::string formatNpyShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "(";
  for (auto [i, d] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(d);
  return text + (shape.size() == 1 ? ",)" : ")");
}

/// An array from the command line, with where it came from.
struct GivenInput {
  std::string source;
  qcc::NpyArray array;
};

/// Reads every --input; reports each problem, returns false if any.
bool readInputs(llvm::StringMap<GivenInput> &given) {
  bool ok = true;
  auto add = [&](llvm::StringRef name, std::string source,
                 qcc::NpyArray array) {
    if (given.count(name)) {
      fail("input '" + name + "' is given more than once");
      ok = false;
      return;
    }
    given[name] = GivenInput{std::move(source), std::move(array)};
  };
  for (const std::string &text : inputs) {
    llvm::StringRef spec(text);
    size_t eq = spec.find('=');
    if (eq == llvm::StringRef::npos) {
      if (!spec.ends_with(".npz")) {
        fail("invalid --input '" + spec +
             "': expected NAME=FILE.npy or FILE.npz");
        ok = false;
        continue;
      }
      llvm::Expected<std::vector<qcc::NpzEntry>> entries = qcc::readNpz(spec);
      if (!entries) {
        fail(llvm::toString(entries.takeError()));
        ok = false;
        continue;
      }
      for (qcc::NpzEntry &entry : *entries)
        add(entry.name, (spec + ":" + entry.name).str(),
            std::move(entry.array));
      continue;
    }
    llvm::StringRef name = spec.take_front(eq), path = spec.drop_front(eq + 1);
    if (name.empty() || path.empty()) {
      fail("invalid --input '" + spec + "': expected NAME=FILE.npy");
      ok = false;
      continue;
    }
    llvm::Expected<qcc::NpyArray> array = qcc::readNpy(path);
    if (!array) {
      fail(llvm::toString(array.takeError()));
      ok = false;
      continue;
    }
    add(name, path.str(), std::move(*array));
  }
  return ok;
}

/// Matches the given arrays to the function's arguments and converts them.
FailureOr<SmallVector<qcc::Tensor>>
bindInputs(func::FuncOp fn, llvm::StringMap<GivenInput> &given) {
  bool ok = true;
  SmallVector<qcc::Tensor> tensors;
  llvm::StringSet<> known;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    std::string name = getValueName(fn, i, /*isResult=*/false);
    known.insert(name);
    auto type = cast<RankedTensorType>(fn.getArgumentTypes()[i]);
    std::optional<qcc::ElementType> elementType =
        qcc::getElementType(type.getElementType());
    assert(elementType && "Interpreter::create checked the argument types");
    llvm::StringRef dtype =
        qcc::getNpyDTypeName(qcc::getNpyDType(*elementType));
    std::string expected =
        (dtype + " " + formatNpyShape(type.getShape())).str();
    auto it = given.find(name);
    if (it == given.end()) {
      fail("missing --input " + name + "=FILE.npy (" + expected + ")");
      ok = false;
      continue;
    }
    const qcc::NpyArray &array = it->second.array;
    bool dtypeOk = array.dtype == qcc::getNpyDType(*elementType) ||
                   (*elementType == qcc::ElementType::F32 &&
                    array.dtype == qcc::NpyDType::Float64);
    if (!dtypeOk || llvm::ArrayRef<int64_t>(array.shape) != type.getShape()) {
      fail("input '" + name + "': '" + it->second.source + "' holds " +
           qcc::getNpyDTypeName(array.dtype) + " " +
           formatNpyShape(array.shape) + ", expected " + expected);
      ok = false;
      continue;
    }
    llvm::Expected<qcc::Tensor> tensor =
        qcc::tensorFromNpy(array, *elementType, "input '" + name + "'");
    if (!tensor) {
      fail(llvm::toString(tensor.takeError()));
      ok = false;
      continue;
    }
    tensors.push_back(std::move(*tensor));
  }
  for (const auto &entry : given)
    if (!known.contains(entry.getKey())) {
      std::string names;
      for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
        names += (i ? ", " : "") + getValueName(fn, i, /*isResult=*/false);
      fail("the model has no input named '" + entry.getKey() +
           "' (inputs: " + (names.empty() ? "none" : names) + ")");
      ok = false;
    }
  if (!ok)
    return failure();
  return tensors;
}

/// Times `runs` runs after a warm-up; prints the median and minimum.
LogicalResult runBenchmark(qcc::Interpreter &interpreter,
                           llvm::ArrayRef<qcc::Tensor> args, unsigned runs) {
  if (failed(interpreter.run(args)))
    return failure();
  std::vector<double> times;
  for (unsigned i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (failed(interpreter.run(args)))
      return failure();
    auto end = std::chrono::steady_clock::now();
    times.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(times.begin(), times.end());
  double median =
      times.size() % 2
          ? times[times.size() / 2]
          : (times[times.size() / 2 - 1] + times[times.size() / 2]) / 2;
  unsigned numThreads = interpreter.getNumThreads();
  llvm::outs() << llvm::formatv("bench: {0} runs on {1} thread{2}: median "
                                "{3:f3} ms, min {4:f3} ms\n",
                                runs, numThreads, numThreads == 1 ? "" : "s",
                                median, times.front());
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(runCategory);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "qcc-run version " << QCC_VERSION << " (LLVM/MLIR "
       << QCC_LLVM_VERSION << ")\n";
  });
  std::vector<std::string> storage;
  std::vector<const char *> args = qcc::renameThreadsFlag(argc, argv, storage);
  cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                              "qcc-run: run a model in the reference "
                              "interpreter on .npy inputs\n");
  if (failed(rejectPendingOptions()))
    return 1;

  if (llvm::sys::path::extension(modelFile) == ".so") {
    llvm::StringMap<GivenInput> given;
    if (!readInputs(given))
      return 1;
    llvm::StringMap<qcc::NpyArray> arrays;
    for (auto &entry : given)
      arrays[entry.getKey()] = std::move(entry.getValue().array);
    return qcc::runLibrary(modelFile, arrays, outputDir, threads, bench,
                           profile);
  }

  DialectRegistry registry;
  registry.insert<qcc::QccDialect, func::FuncDialect>();
  // Multithreading stays enabled: --precision=mixed measures sensitivities
  // on worker threads that share this context.
  MLIRContext context(registry);
  // Diagnostics name the op's location; dumping the op (a whole function
  // for input errors) would bury the one-line reason.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  qcc::NodeNameDiagnosticHandler nodeNames(&context);

  OwningOpRef<ModuleOp> module = loadModel(context, sourceMgr);
  if (!module)
    return 1;
  func::FuncOp fn = findEntry(*module);
  if (!fn)
    return 1;
  if (interp == "int") {
    qcc::QuantizeOptions quantize =
        quantizeFlags.getOptions(precision == "mixed");
    quantize.progress = &llvm::errs();
    quantize.calibrationOptions.numThreads = threads;
    quantize.calibrationOptions.progress = &llvm::errs();
    quantize.sensitivity.numThreads = threads;
    if (failed(qcc::quantizeModule(*module, quantize)))
      return 1;
    fn = findEntry(*module);
    if (!emitIR.empty()) {
      std::string error;
      std::unique_ptr<llvm::ToolOutputFile> out =
          openOutputFile(emitIR, &error);
      if (!out)
        return fail(error);
      module->print(out->os());
      out->keep();
    }
  }

  // Creating the interpreter checks every type and op of the function, so
  // binding inputs afterwards only meets supported tensor types.
  qcc::InterpreterOptions options;
  options.numThreads = threads;
  FailureOr<std::unique_ptr<qcc::Interpreter>> interpreter =
      qcc::Interpreter::create(fn, options);
  if (failed(interpreter))
    return 1;

  llvm::StringMap<GivenInput> given;
  if (!readInputs(given))
    return 1;
  FailureOr<SmallVector<qcc::Tensor>> bound = bindInputs(fn, given);
  if (failed(bound))
    return 1;
  given.clear();
  if (bench && failed(runBenchmark(**interpreter, *bound, bench)))
    return 1;
  FailureOr<SmallVector<qcc::Tensor>> outputs = (*interpreter)->run(*bound);
  if (failed(outputs))
    return 1;

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create output directory '" + outputDir +
                "': " + ec.message());
  llvm::StringSet<> written;
  for (auto [i, tensor] : llvm::enumerate(*outputs)) {
    std::string name = getValueName(fn, i, /*isResult=*/true);
    std::string file = qcc::getOutputFileName(name);
    if (!written.insert(file).second)
      file += "_" + std::to_string(i);
    written.insert(file);
    llvm::SmallString<256> path(outputDir);
    llvm::sys::path::append(path, file + ".npy");
    if (llvm::Error err = qcc::writeTensorToNpy(tensor, path))
      return fail(llvm::toString(std::move(err)));
    llvm::outs() << "output " << name << ": "
                 << qcc::getNpyDTypeName(
                        qcc::getNpyDType(tensor.getElementType()))
                 << " " << formatNpyShape(tensor.getShape()) << " -> " << path
                 << "\n";
  }
  return 0;
}
