//===- Calibration.cpp - activation ranges from calibration inputs --------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Loading calibration data, synthetic samples, and the calibration runs that
// attach qcc.range (qcc/Quant/Calibration.h; docs/Calibration.md explains
// the methods). Statistics are streamed: one pass keeps a min and a max per
// tensor, and the histogram methods rerun the samples once the absolute
// range is known, keeping a fixed-size histogram per tensor. No tensor is
// kept beyond the observer call that sees it.
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/Calibration.h"

#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Support/Npy.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::qcc;

//===----------------------------------------------------------------------===//
// Methods
//===----------------------------------------------------------------------===//

std::optional<CalibrationMethod>
mlir::qcc::parseCalibrationMethod(StringRef name) {
  if (name == "minmax")
    return CalibrationMethod::MinMax;
  if (name == "percentile")
    return CalibrationMethod::Percentile;
  if (name == "mse")
    return CalibrationMethod::Mse;
  return std::nullopt;
}

StringRef mlir::qcc::getCalibrationMethodName(CalibrationMethod method) {
  switch (method) {
  case CalibrationMethod::MinMax:
    return "minmax";
  case CalibrationMethod::Percentile:
    return "percentile";
  case CalibrationMethod::Mse:
    return "mse";
  }
  llvm_unreachable("unknown calibration method");
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

namespace {

/// The name of argument `index`: its `qcc.name`, else `arg<index>` (as
/// qcc-run names it).
std::string getInputName(func::FuncOp fn, unsigned index) {
  if (auto name = fn.getArgAttrOfType<StringAttr>(index, "qcc.name"))
    return name.str();
  return "arg" + std::to_string(index);
}

/// `name` with characters outside [A-Za-z0-9._-] replaced by '_' (the file
/// name qcc-run gives an output of that name).
std::string sanitizeFileName(StringRef name) {
  std::string result = name.str();
  for (char &c : result)
    if (!llvm::isAlnum(c) && c != '.' && c != '_' && c != '-')
      c = '_';
  return result;
}

/// A NumPy-style shape: `(2, 3)`, `(4,)`, `()`.
std::string formatNpyShape(ArrayRef<int64_t> shape) {
  std::string text = "(";
  for (auto [i, d] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(d);
  return text + (shape.size() == 1 ? ",)" : ")");
}

/// A number as printf's %g writes it (99.99, 100, 1e-05).
std::string formatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

/// What calibration needs to know about one function argument.
struct InputInfo {
  std::string name;
  ElementType elementType;
  SmallVector<int64_t> shape;
  /// Rows per sample (dimension 0; 1 for a 0-d argument) and the shape of
  /// one row.
  int64_t batch;
  SmallVector<int64_t> rowShape;
};

/// Describes the arguments of `fn`; fails with a diagnostic for an argument
/// calibration cannot feed.
FailureOr<SmallVector<InputInfo>> getInputs(func::FuncOp fn) {
  SmallVector<InputInfo> inputs;
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    InputInfo info;
    info.name = getInputName(fn, i);
    auto type = dyn_cast<RankedTensorType>(fn.getArgumentTypes()[i]);
    std::optional<ElementType> elementType =
        type ? getElementType(type.getElementType()) : std::nullopt;
    if (!type || !type.hasStaticShape() || !elementType)
      return fn.emitError() << "calibration: input '" << info.name
                            << "' has type " << fn.getArgumentTypes()[i]
                            << "; calibration needs statically shaped tensors "
                               "of an element type the interpreter supports";
    info.elementType = *elementType;
    info.shape.assign(type.getShape().begin(), type.getShape().end());
    info.batch = info.shape.empty() ? 1 : info.shape.front();
    if (!info.shape.empty())
      info.rowShape.assign(info.shape.begin() + 1, info.shape.end());
    inputs.push_back(std::move(info));
  }
  return inputs;
}

/// An array read for one input, with where it came from.
struct SourceArray {
  std::string source;
  NpyArray array;
};

} // namespace

FailureOr<std::vector<CalibrationSample>>
mlir::qcc::loadCalibrationData(func::FuncOp fn, StringRef path) {
  auto error = [&]() -> InFlightDiagnostic {
    return fn.emitError() << "calibration data '" << path << "': ";
  };
  FailureOr<SmallVector<InputInfo>> inputs = getInputs(fn);
  if (failed(inputs))
    return failure();
  if (inputs->empty())
    return error() << "the function has no inputs to calibrate on";

  // Find one array per input.
  SmallVector<std::optional<SourceArray>> arrays(inputs->size());
  bool ok = true;
  bool isDirectory = false;
  if (!llvm::sys::fs::exists(path))
    return error() << "no such file or directory";
  if (std::error_code ec = llvm::sys::fs::is_directory(path, isDirectory)) {
    error() << "cannot access it: " << ec.message();
    return failure();
  }
  if (isDirectory) {
    llvm::StringSet<> used;
    for (auto [i, input] : llvm::enumerate(*inputs)) {
      SmallVector<std::string, 2> candidates = {input.name + ".npy"};
      if (sanitizeFileName(input.name) != input.name)
        candidates.push_back(sanitizeFileName(input.name) + ".npy");
      std::string file;
      for (const std::string &candidate : candidates) {
        SmallString<128> full(path);
        llvm::sys::path::append(full, candidate);
        if (llvm::sys::fs::is_regular_file(full)) {
          file = full.str().str();
          used.insert(candidate);
          break;
        }
      }
      if (file.empty()) {
        error() << "no '" << candidates.front() << "'"
                << (candidates.size() > 1 ? " or '" + candidates.back() + "'"
                                          : std::string())
                << " for input '" << input.name << "'";
        ok = false;
        continue;
      }
      llvm::Expected<NpyArray> array = readNpy(file);
      if (!array) {
        error() << llvm::toString(array.takeError());
        ok = false;
        continue;
      }
      arrays[i] = SourceArray{file, std::move(*array)};
    }
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; !ec && it != end;
         it.increment(ec)) {
      StringRef file = llvm::sys::path::filename(it->path());
      if (file.ends_with(".npy") && !used.contains(file))
        fn.emitWarning() << "calibration data '" << path << "': ignoring '"
                         << file << "', which names no input of the function";
    }
  } else {
    llvm::Expected<std::vector<NpzEntry>> entries = readNpz(path);
    if (!entries) {
      error() << llvm::toString(entries.takeError());
      return failure();
    }
    llvm::StringMap<unsigned> byName;
    for (auto [i, input] : llvm::enumerate(*inputs))
      byName[input.name] = i;
    std::string members;
    for (NpzEntry &entry : *entries) {
      members += (members.empty() ? "'" : ", '") + entry.name + "'";
      auto it = byName.find(entry.name);
      if (it == byName.end()) {
        fn.emitWarning() << "calibration data '" << path
                         << "': ignoring member '" << entry.name
                         << "', which names no input of the function";
        continue;
      }
      if (arrays[it->second]) {
        error() << "member '" << entry.name << "' appears more than once";
        ok = false;
        continue;
      }
      arrays[it->second] =
          SourceArray{(path + ":" + entry.name).str(), std::move(entry.array)};
    }
    for (auto [i, input] : llvm::enumerate(*inputs))
      if (!arrays[i]) {
        error() << "no member for input '" << input.name << "' (members: "
                << (members.empty() ? std::string("none") : members) << ")";
        ok = false;
      }
  }
  if (!ok)
    return failure();

  // Check each array against its argument and count the samples.
  SmallVector<int64_t> counts(inputs->size(), 0);
  for (auto [i, input] : llvm::enumerate(*inputs)) {
    const SourceArray &source = *arrays[i];
    const NpyArray &array = source.array;
    NpyDType want = getNpyDType(input.elementType);
    bool dtypeOk =
        array.dtype == want || (input.elementType == ElementType::F32 &&
                                array.dtype == NpyDType::Float64);
    if (!dtypeOk) {
      error() << "input '" << input.name << "': '" << source.source
              << "' has dtype " << getNpyDTypeName(array.dtype) << ", expected "
              << getNpyDTypeName(want)
              << (want == NpyDType::Float32 ? " (or float64)" : "");
      ok = false;
      continue;
    }
    SmallVector<int64_t> expected = {-1};
    expected.append(input.rowShape.begin(), input.rowShape.end());
    bool shapeOk = array.shape.size() == expected.size() &&
                   ArrayRef<int64_t>(array.shape).drop_front() ==
                       ArrayRef<int64_t>(input.rowShape);
    if (!shapeOk) {
      std::string want = formatNpyShape(expected);
      want.replace(want.find("-1"), 2, "N");
      error() << "input '" << input.name << "': '" << source.source
              << "' has shape " << formatNpyShape(array.shape) << ", expected "
              << want << ": samples of shape " << formatNpyShape(input.shape)
              << " stacked along dimension 0";
      ok = false;
      continue;
    }
    int64_t rows = array.shape.front();
    if (input.batch <= 0) {
      error() << "input '" << input.name
              << "' has batch dimension 0; no samples can be cut from '"
              << source.source << "'";
      ok = false;
      continue;
    }
    if (rows < input.batch) {
      error() << "input '" << input.name << "': '" << source.source << "' has "
              << rows << " rows, fewer than the batch size " << input.batch
              << " of one sample";
      ok = false;
      continue;
    }
    counts[i] = rows / input.batch;
    if (int64_t rest = rows % input.batch)
      fn.emitWarning() << "calibration data '" << path << "': input '"
                       << input.name << "': " << rows
                       << " rows are not a multiple of the batch size "
                       << input.batch << "; the last " << rest
                       << " rows are ignored";
  }
  if (!ok)
    return failure();
  if (llvm::any_of(counts, [&](int64_t n) { return n != counts.front(); })) {
    InFlightDiagnostic diag =
        error() << "the inputs give different numbers of samples:";
    for (auto [i, input] : llvm::enumerate(*inputs))
      diag << (i ? ", '" : " '") << input.name << "' " << counts[i];
    return failure();
  }

  // Cut the arrays into samples, releasing each array once it is copied.
  int64_t numSamples = counts.front();
  std::vector<CalibrationSample> samples(numSamples);
  for (CalibrationSample &sample : samples)
    sample.resize(inputs->size());
  for (auto [i, input] : llvm::enumerate(*inputs)) {
    NpyArray &array = arrays[i]->array;
    int64_t rowElements = 1;
    for (int64_t d : input.rowShape)
      rowElements *= d;
    int64_t sampleElements = rowElements * input.batch;
    size_t itemSize = getNpyItemSize(array.dtype);
    bool widen = array.dtype != getNpyDType(input.elementType);
    for (int64_t s = 0; s < numSamples; ++s) {
      Tensor tensor = Tensor::allocate(input.elementType, input.shape);
      if (!tensor)
        return error() << "out of memory for sample " << s << " of input '"
                       << input.name << "'";
      const char *from = array.data.data() + s * sampleElements * itemSize;
      if (widen) {
        float *to = tensor.getData<float>();
        for (int64_t k = 0; k < sampleElements; ++k) {
          double value;
          std::memcpy(&value, from + k * sizeof(double), sizeof(double));
          to[k] = static_cast<float>(value);
        }
      } else if (sampleElements > 0) {
        std::memcpy(tensor.getRawData(), from, sampleElements * itemSize);
      }
      samples[s][i] = std::move(tensor);
    }
    array.data = std::vector<char>();
  }
  return samples;
}

//===----------------------------------------------------------------------===//
// Synthetic samples
//===----------------------------------------------------------------------===//

std::vector<CalibrationSample>
mlir::qcc::makeSyntheticCalibrationData(func::FuncOp fn, unsigned count) {
  // A fixed generator and our own Box-Muller transform, so that the samples
  // are the same with every standard library.
  std::mt19937_64 generator(0x9e3779b97f4a7c15ULL);
  auto uniform = [&] {
    // In (0, 1]: 53 random bits, offset by one ulp so log() stays finite.
    return (static_cast<double>(generator() >> 11) + 1.0) * 0x1.0p-53;
  };
  std::optional<double> spare;
  auto normal = [&] {
    if (spare) {
      double value = *spare;
      spare.reset();
      return value;
    }
    double radius = std::sqrt(-2.0 * std::log(uniform()));
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    double angle = kTwoPi * uniform();
    spare = radius * std::sin(angle);
    return radius * std::cos(angle);
  };

  std::vector<CalibrationSample> samples(count);
  for (CalibrationSample &sample : samples) {
    for (Type argType : fn.getArgumentTypes()) {
      auto type = dyn_cast<RankedTensorType>(argType);
      std::optional<ElementType> elementType =
          type ? getElementType(type.getElementType()) : std::nullopt;
      Tensor tensor;
      if (elementType && type.hasStaticShape())
        tensor = Tensor::allocate(*elementType, type.getShape());
      // A null tensor makes the interpreter report the argument.
      if (!tensor) {
        sample.push_back(Tensor());
        continue;
      }
      int64_t n = tensor.getNumElements();
      switch (*elementType) {
      case ElementType::F32: {
        float *data = tensor.getData<float>();
        for (int64_t k = 0; k < n; ++k)
          data[k] = static_cast<float>(normal());
        break;
      }
      case ElementType::I64:
        std::fill_n(tensor.getData<int64_t>(), n, 1);
        break;
      case ElementType::I32:
        std::fill_n(tensor.getData<int32_t>(), n, 1);
        break;
      case ElementType::I16:
        std::fill_n(tensor.getData<int16_t>(), n, 1);
        break;
      case ElementType::I8:
        std::fill_n(tensor.getData<int8_t>(), n, 1);
        break;
      case ElementType::UI8:
        std::fill_n(tensor.getData<uint8_t>(), n, 1);
        break;
      case ElementType::I1:
        std::fill_n(tensor.getData<bool>(), n, true);
        break;
      }
      sample.push_back(std::move(tensor));
    }
  }
  return samples;
}

//===----------------------------------------------------------------------===//
// Statistics and ranges
//===----------------------------------------------------------------------===//

namespace {

/// Histogram bins over [0, absmax] of |x|.
constexpr unsigned kNumBins = 2048;

/// The streamed statistics of one calibrated tensor.
struct TensorStats {
  bool observed = false;
  uint64_t count = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  /// Second pass: exact zeros, and the nonzero |x| by bin.
  uint64_t zeros = 0;
  std::vector<uint64_t> histogram;

  /// The range before clipping: [min, max] widened to contain 0.
  double getLo() const { return min < 0 ? min : 0.0; }
  double getHi() const { return max > 0 ? max : 0.0; }
  double getAbsMax() const { return std::max(-getLo(), getHi()); }
  bool needsHistogram() const { return count > 0 && getAbsMax() > 0; }
};

/// Folds `values` into the min/max of `stats`; returns the index of the
/// first non-finite value, or -1.
int64_t accumulateMinMax(TensorStats &stats, ArrayRef<float> values) {
  stats.observed = true;
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  bool finite = true;
  for (float v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    finite &= std::isfinite(v);
  }
  if (!finite)
    for (auto [i, v] : llvm::enumerate(values))
      if (!std::isfinite(v))
        return static_cast<int64_t>(i);
  stats.count += values.size();
  stats.min = std::min(stats.min, static_cast<double>(lo));
  stats.max = std::max(stats.max, static_cast<double>(hi));
  return -1;
}

/// Folds |values| into the histogram of `stats` (after the first pass).
void accumulateHistogram(TensorStats &stats, ArrayRef<float> values) {
  if (!stats.needsHistogram())
    return;
  if (stats.histogram.empty())
    stats.histogram.assign(kNumBins, 0);
  double scale = kNumBins / stats.getAbsMax();
  for (float v : values) {
    double magnitude = std::fabs(static_cast<double>(v));
    if (magnitude == 0) {
      ++stats.zeros;
      continue;
    }
    double t = magnitude * scale;
    // `!(t < kNumBins)` also catches an infinite scale (subnormal absmax).
    size_t bin = !(t < kNumBins) ? kNumBins - 1 : static_cast<size_t>(t);
    ++stats.histogram[bin];
  }
}

/// The upper edge of bin k-1, c_k = absmax * k / kNumBins (exactly absmax
/// for the last).
double getBinEdge(double absMax, unsigned k) {
  return k == kNumBins ? absMax : absMax * (static_cast<double>(k) / kNumBins);
}

/// Percentile: the smallest bin edge c (at least one bin) with at least
/// `percentile`% of the |x| at or below it.
double getPercentileClip(const TensorStats &stats, double percentile) {
  double target = percentile / 100.0 * static_cast<double>(stats.count);
  uint64_t cumulative = stats.zeros;
  for (unsigned k = 1; k <= kNumBins; ++k) {
    cumulative += stats.histogram[k - 1];
    if (static_cast<double>(cumulative) >= target)
      return getBinEdge(stats.getAbsMax(), k);
  }
  return stats.getAbsMax();
}

/// Mse: the bin edge c minimising the estimated squared error of quantizing
/// to `levels` steps of s = c / levels above zero (symmetric: the same
/// below), with values beyond c clipped. In units of the bin width w, with
/// every bin's values spread uniformly over the bin (centre m = j + 1/2):
///   * exact zeros: no error;
///   * bins below s/2 (they round to 0): E[x^2] = m^2 + 1/12;
///   * other bins below c: the rounding error s^2 / 12;
///   * bins above c (clipped): E[(x - c)^2] = (m - c)^2 + 1/12.
/// Prefix and suffix sums make each candidate O(1).
double getMseClip(const TensorStats &stats, uint64_t levels) {
  using Real = long double; // sums of n * (2j+1)^2 / 4 stay exact
  std::vector<Real> deadPrefix(kNumBins + 1, 0), countPrefix(kNumBins + 1, 0);
  for (unsigned j = 0; j < kNumBins; ++j) {
    Real n = stats.histogram[j], m = j + Real(0.5);
    countPrefix[j + 1] = countPrefix[j] + n;
    deadPrefix[j + 1] = deadPrefix[j] + n * (m * m + Real(1) / 12);
  }
  std::vector<Real> s0(kNumBins + 1, 0), s1(kNumBins + 1, 0),
      s2(kNumBins + 1, 0);
  for (unsigned j = kNumBins; j-- > 0;) {
    Real n = stats.histogram[j], m = j + Real(0.5);
    s0[j] = s0[j + 1] + n;
    s1[j] = s1[j + 1] + n * m;
    s2[j] = s2[j + 1] + n * m * m;
  }
  unsigned best = kNumBins;
  Real bestError = std::numeric_limits<Real>::infinity();
  for (unsigned k = 1; k <= kNumBins; ++k) {
    Real c = k, step = c / levels;
    unsigned dead = static_cast<unsigned>(k / (2 * levels));
    Real rounding = deadPrefix[dead] +
                    (countPrefix[k] - countPrefix[dead]) * step * step / 12;
    Real clipping = s2[k] - 2 * c * s1[k] + c * c * s0[k] + s0[k] / 12;
    Real error = rounding + clipping;
    if (error < bestError) {
      bestError = error;
      best = k;
    }
  }
  return getBinEdge(stats.getAbsMax(), best);
}

/// The range of a tensor from its statistics.
std::pair<double, double> computeRange(const TensorStats &stats,
                                       const CalibrationOptions &options) {
  double lo = stats.getLo(), hi = stats.getHi();
  if (options.method == CalibrationMethod::MinMax || stats.histogram.empty())
    return {lo, hi};
  double clip;
  if (options.method == CalibrationMethod::Percentile) {
    clip = getPercentileClip(stats, options.percentile);
  } else {
    bool isUnsigned = lo == 0;
    uint64_t levels = isUnsigned ? (uint64_t(1) << options.bits) - 1
                                 : (uint64_t(1) << (options.bits - 1)) - 1;
    clip = getMseClip(stats, levels);
  }
  return {std::max(lo, -clip), std::min(hi, clip)};
}

/// Progress lines: updated in place on a terminal, else one line per pass.
class Progress {
public:
  explicit Progress(raw_ostream *os)
      : os(os), inPlace(os && os->is_displayed()) {}

  void update(StringRef phase, size_t done, size_t total) {
    if (!os || (!inPlace && done != total))
      return;
    *os << (inPlace ? "\r" : "") << "calibrating: " << phase << "sample "
        << done << "/" << total;
    if (done == total)
      *os << "\n";
    os->flush();
  }

  /// Ends a line left open by update (after a failure).
  void abort() {
    if (os && inPlace)
      *os << "\n";
  }

private:
  raw_ostream *os;
  bool inPlace;
};

} // namespace

LogicalResult mlir::qcc::calibrate(func::FuncOp fn,
                                   ArrayRef<CalibrationSample> samples,
                                   const CalibrationOptions &options) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  if (samples.empty())
    return fn.emitError() << "calibration needs at least one sample";
  if (options.method == CalibrationMethod::Percentile &&
      !(options.percentile > 0 && options.percentile <= 100))
    return fn.emitError() << "calibration percentile "
                          << formatNumber(options.percentile)
                          << " is outside (0, 100]";
  if (options.method == CalibrationMethod::Mse &&
      (options.bits < 2 || options.bits > 32))
    return fn.emitError() << "calibration for " << options.bits
                          << "-bit activations is not supported (2 to 32)";

  // What gets a range: float arguments and single-result float ops.
  auto isFloatTensor = [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && isa<FloatType>(tensor.getElementType());
  };
  SmallVector<unsigned> args;
  for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes()))
    if (isFloatTensor(type))
      args.push_back(i);
  SmallVector<Operation *> ops;
  llvm::DenseMap<Operation *, unsigned> opIndex;
  fn.getBody().walk([&](Operation *op) {
    if (op->getNumResults() == 1 && isFloatTensor(op->getResult(0).getType())) {
      opIndex[op] = ops.size();
      ops.push_back(op);
    }
  });
  std::vector<TensorStats> argStats(args.size()), opStats(ops.size());

  // The observer folds each op's result into its statistics; the first
  // non-finite value stops the calibration.
  bool histogramPass = false;
  bool failedRun = false;
  size_t sampleIndex = 0;
  auto fold = [&](TensorStats &stats, const Tensor &tensor) -> int64_t {
    if (!tensor || tensor.getElementType() != ElementType::F32)
      return -1;
    ArrayRef<float> values = tensor.getValues<float>();
    if (histogramPass) {
      accumulateHistogram(stats, values);
      return -1;
    }
    return accumulateMinMax(stats, values);
  };
  auto describe = [](const Tensor &tensor, int64_t index) {
    float v = tensor.getValues<float>()[index];
    return std::string(std::isnan(v) ? "NaN"
                       : v > 0       ? "+inf"
                                     : "-inf") +
           " at element " + std::to_string(index);
  };
  InterpreterOptions interpreterOptions;
  interpreterOptions.numThreads = options.numThreads;
  interpreterOptions.observer = [&](Operation *op, ArrayRef<Tensor> results) {
    if (failedRun || results.size() != 1)
      return;
    auto it = opIndex.find(op);
    if (it == opIndex.end())
      return;
    int64_t bad = fold(opStats[it->second], results.front());
    if (bad >= 0) {
      op->emitError() << "calibration: '" << op->getName()
                      << "' computes a non-finite value ("
                      << describe(results.front(), bad)
                      << ") on calibration sample " << sampleIndex
                      << "; ranges need finite values";
      failedRun = true;
    }
  };
  FailureOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::create(fn, interpreterOptions);
  if (failed(interpreter))
    return failure();

  Progress progress(options.progress);
  auto runPass = [&](StringRef phase) -> LogicalResult {
    for (sampleIndex = 0; sampleIndex < samples.size(); ++sampleIndex) {
      progress.update(phase, sampleIndex, samples.size());
      const CalibrationSample &sample = samples[sampleIndex];
      for (auto [k, arg] : llvm::enumerate(args)) {
        if (arg >= sample.size())
          break; // the interpreter reports the missing inputs
        int64_t bad = fold(argStats[k], sample[arg]);
        if (bad >= 0) {
          progress.abort();
          return fn.emitError()
                 << "calibration: input '" << getInputName(fn, arg)
                 << "' holds a non-finite value (" << describe(sample[arg], bad)
                 << ") in calibration sample " << sampleIndex
                 << "; ranges need finite values";
        }
      }
      if (failed((*interpreter)->run(sample)) || failedRun) {
        progress.abort();
        return failure();
      }
    }
    progress.update(phase, samples.size(), samples.size());
    return success();
  };
  if (failed(runPass("")))
    return failure();
  if (options.method != CalibrationMethod::MinMax) {
    histogramPass = true;
    if (failed(runPass("histograms, ")))
      return failure();
  }

  // Attach the ranges.
  MLIRContext *context = fn.getContext();
  auto getRangeAttr = [&](const TensorStats &stats) {
    auto [lo, hi] = computeRange(stats, options);
    return DenseF64ArrayAttr::get(context, {lo, hi});
  };
  // The 4-bit range where it differs (mse at 8 bits only).
  CalibrationOptions options4 = options;
  options4.bits = 4;
  bool with4 = options.method == CalibrationMethod::Mse && options.bits == 8;
  auto getRange4Attr = [&](const TensorStats &stats) -> DenseF64ArrayAttr {
    if (!with4 || stats.histogram.empty())
      return nullptr;
    std::pair<double, double> r8 = computeRange(stats, options);
    std::pair<double, double> r4 = computeRange(stats, options4);
    if (r4 == r8)
      return nullptr;
    return DenseF64ArrayAttr::get(context, {r4.first, r4.second});
  };
  for (auto [k, arg] : llvm::enumerate(args)) {
    fn.setArgAttr(arg, kRangeAttrName, getRangeAttr(argStats[k]));
    if (DenseF64ArrayAttr r4 = getRange4Attr(argStats[k]))
      fn.setArgAttr(arg, kRange4AttrName, r4);
  }
  unsigned numOps = 0;
  for (auto [op, stats] : llvm::zip(ops, opStats)) {
    // Ops the interpreter does not run per sample (constants) get none.
    if (!stats.observed)
      continue;
    op->setAttr(kRangeAttrName, getRangeAttr(stats));
    if (DenseF64ArrayAttr r4 = getRange4Attr(stats))
      op->setAttr(kRange4AttrName, r4);
    ++numOps;
  }

  if (raw_ostream *os = options.progress) {
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    *os << "calibrated " << args.size() + numOps << " ranges (" << args.size()
        << " inputs, " << numOps << " op results) on " << samples.size()
        << " samples with " << getCalibrationMethodName(options.method);
    if (options.method == CalibrationMethod::Percentile)
      *os << " " << formatNumber(options.percentile);
    else if (options.method == CalibrationMethod::Mse)
      *os << " (" << options.bits << " bits)";
    *os << " in " << llvm::format("%.1f", seconds) << " s\n";
    os->flush();
  }
  return success();
}
