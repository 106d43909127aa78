//===- CalibrationTest.cpp - tests of activation-range calibration -------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Calibration (qcc/Quant/Calibration.h): exact MinMax ranges against values
// computed here, Percentile clipping an outlier, Mse against a brute-force
// quantization error of the actual values, lo = 0 for nonnegative tensors,
// loading .npz archives and directories (and the diagnostics for bad data),
// and deterministic synthetic samples.
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/Calibration.h"
#include "qcc/Dialect/Qcc/IR/QccDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::qcc;

namespace {

class CalibrationTest : public ::testing::Test {
protected:
  CalibrationTest() {
    DialectRegistry registry;
    registry.insert<QccDialect, func::FuncDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    handler.emplace(&context, [this](Diagnostic &diag) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << diag.getLocation() << ": " << diag.str() << "\n";
      (diag.getSeverity() == DiagnosticSeverity::Error ? errors : warnings) +=
          text;
      return success();
    });
  }

  ~CalibrationTest() override {
    if (!tempDir.empty())
      llvm::sys::fs::remove_directories(tempDir);
  }

  /// Parses a module and returns its first function.
  func::FuncOp parse(StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return nullptr;
    return *module->getOps<func::FuncOp>().begin();
  }

  /// The op of the given name in `fn` (the first one).
  static Operation *findOp(func::FuncOp fn, StringRef name) {
    Operation *found = nullptr;
    fn.walk([&](Operation *op) {
      if (!found && op->getName().getStringRef() == name)
        found = op;
    });
    return found;
  }

  /// The qcc.range of an op ({} when there is none).
  static std::vector<double> rangeOf(Operation *op) {
    auto attr = op->getAttrOfType<DenseF64ArrayAttr>(kRangeAttrName);
    if (!attr)
      return {};
    return std::vector<double>(attr.asArrayRef().begin(),
                               attr.asArrayRef().end());
  }
  static std::vector<double> argRangeOf(func::FuncOp fn, unsigned index) {
    auto attr = fn.getArgAttrOfType<DenseF64ArrayAttr>(index, kRangeAttrName);
    if (!attr)
      return {};
    return std::vector<double>(attr.asArrayRef().begin(),
                               attr.asArrayRef().end());
  }

  template <typename T>
  static Tensor make(ArrayRef<int64_t> shape, ArrayRef<T> values) {
    Tensor t = Tensor::allocate(ElementTypeOf<T>::value, shape);
    EXPECT_EQ(static_cast<size_t>(t.getNumElements()), values.size());
    std::memcpy(t.getRawData(), values.data(), values.size() * sizeof(T));
    return t;
  }

  /// A fresh directory for files of this test, removed at the end.
  std::string getTempDir() {
    if (tempDir.empty()) {
      SmallString<128> path;
      EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("qcc-calib", path));
      tempDir = path.str().str();
    }
    return tempDir;
  }

  std::string writeFile(StringRef name, StringRef bytes) {
    SmallString<128> path(getTempDir());
    llvm::sys::path::append(path, name);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << bytes;
    return path.str().str();
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::optional<ScopedDiagnosticHandler> handler;
  std::string errors, warnings, tempDir;
};

/// `.npy` bytes of an array.
template <typename T>
std::string npy(NpyDType dtype, ArrayRef<int64_t> shape, ArrayRef<T> values) {
  EXPECT_EQ(getNpyItemSize(dtype), sizeof(T));
  return serializeNpy(
      dtype, shape,
      ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(T)));
}

/// An `.npz` archive (a zip of stored members, as numpy.savez writes it);
/// `deflated` marks the members compressed (numpy.savez_compressed) without
/// compressing them, which is all the reader looks at.
std::string makeNpz(ArrayRef<std::pair<std::string, std::string>> members,
                    bool deflated = false) {
  std::string out, directory;
  auto put = [](std::string &to, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
      to.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  };
  for (const auto &[name, data] : members) {
    std::string file = name + ".npy";
    uint32_t crc = llvm::crc32(llvm::arrayRefFromStringRef(data));
    uint64_t offset = out.size();
    put(out, 0x04034b50, 4);
    put(out, 20, 2);
    put(out, 0, 2);
    put(out, deflated ? 8 : 0, 2);
    put(out, 0, 4); // time, date
    put(out, crc, 4);
    put(out, data.size(), 4);
    put(out, data.size(), 4);
    put(out, file.size(), 2);
    put(out, 0, 2);
    out += file + data;
    put(directory, 0x02014b50, 4);
    put(directory, 20, 2);
    put(directory, 20, 2);
    put(directory, 0, 2);
    put(directory, deflated ? 8 : 0, 2);
    put(directory, 0, 4);
    put(directory, crc, 4);
    put(directory, data.size(), 4);
    put(directory, data.size(), 4);
    put(directory, file.size(), 2);
    put(directory, 0, 2 + 2 + 2 + 2 + 4); // extra, comment, disk, attributes
    put(directory, offset, 4);
    directory += file;
  }
  uint64_t directoryOffset = out.size();
  out += directory;
  put(out, 0x06054b50, 4);
  put(out, 0, 4);
  put(out, members.size(), 2);
  put(out, members.size(), 2);
  put(out, directory.size(), 4);
  put(out, directoryOffset, 4);
  put(out, 0, 2);
  return out;
}

/// Squared error of quantizing `values` to `levels` steps of c / levels on
/// each side of 0 (none below 0 when `isUnsigned`), clipping beyond.
double quantizationError(ArrayRef<float> values, double c, double levels,
                         bool isUnsigned) {
  double step = c / levels, error = 0;
  for (float v : values) {
    double q = std::round(v / step);
    q = std::clamp(q, isUnsigned ? 0.0 : -levels, levels);
    error += (v - q * step) * (v - q * step);
  }
  return error;
}

//===----------------------------------------------------------------------===//
// Ranges
//===----------------------------------------------------------------------===//

TEST_F(CalibrationTest, MinMaxRangesAreExact) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<4x8xf32> {qcc.name = "x"}) -> tensor<4x8xf32> {
      %c = qcc.constant dense<[-3.0, -1.5, 0.0, 0.25, 0.5, 1.0, 2.0, 4.0]> : tensor<8xf32>
      %z = qcc.constant dense<0.0> : tensor<8xf32>
      %0 = qcc.relu %x : tensor<4x8xf32>
      %1 = qcc.add %0, %c : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
      %2 = qcc.mul %1, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
      %3 = qcc.neg %0 : tensor<4x8xf32>
      %4 = qcc.mul %x, %z : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
      %5 = qcc.sub %2, %3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
      %6 = qcc.add %5, %4 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
      return %6 : tensor<4x8xf32>
    })mlir");
  ASSERT_TRUE(fn);
  const float c[8] = {-3.0f, -1.5f, 0.0f, 0.25f, 0.5f, 1.0f, 2.0f, 4.0f};
  std::mt19937 generator(7);
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::vector<CalibrationSample> samples;
  // Running min/max of x, relu, add, mul, neg, sub.
  double lo[6], hi[6];
  std::fill(lo, lo + 6, INFINITY);
  std::fill(hi, hi + 6, -INFINITY);
  for (int s = 0; s < 3; ++s) {
    std::vector<float> x(32);
    for (float &v : x)
      v = uniform(generator);
    for (int i = 0; i < 32; ++i) {
      float relu = std::max(x[i], 0.0f);
      float add = relu + c[i % 8];
      float mul = add * x[i];
      float neg = -relu;
      float sub = mul - neg;
      float values[6] = {x[i], relu, add, mul, neg, sub};
      for (int k = 0; k < 6; ++k) {
        lo[k] = std::min(lo[k], double(values[k]));
        hi[k] = std::max(hi[k], double(values[k]));
      }
    }
    samples.push_back({make<float>({4, 8}, x)});
  }
  ASSERT_TRUE(succeeded(calibrate(fn, samples))) << errors;

  // Ranges contain 0: nonnegative tensors keep lo = 0, nonpositive hi = 0.
  EXPECT_EQ(argRangeOf(fn, 0), (std::vector<double>{lo[0], hi[0]}));
  // Min/max ranges do not depend on the bits: no separate 4-bit range.
  EXPECT_FALSE(fn.getArgAttr(0, kRange4AttrName));
  SmallVector<Operation *> ops;
  for (Operation &op : fn.getBody().front())
    ops.push_back(&op);
  ASSERT_EQ(ops.size(), 10u);
  EXPECT_TRUE(rangeOf(ops[0]).empty()); // constants get none
  EXPECT_TRUE(rangeOf(ops[1]).empty());
  EXPECT_EQ(rangeOf(ops[2]), (std::vector<double>{0.0, hi[1]}));
  EXPECT_EQ(rangeOf(ops[3]), (std::vector<double>{lo[2], hi[2]}));
  EXPECT_EQ(rangeOf(ops[4]), (std::vector<double>{lo[3], hi[3]}));
  EXPECT_EQ(rangeOf(ops[5]), (std::vector<double>{lo[4], 0.0}));
  EXPECT_EQ(rangeOf(ops[6]), (std::vector<double>{0.0, 0.0})); // all zero
  EXPECT_EQ(rangeOf(ops[7]), (std::vector<double>{lo[5], hi[5]}));
  EXPECT_EQ(rangeOf(ops[8]), (std::vector<double>{lo[5], hi[5]}));
  EXPECT_FALSE(std::signbit(rangeOf(ops[2])[0])); // +0, not -0
  EXPECT_FALSE(std::signbit(rangeOf(ops[5])[1]));

  // A second calibration replaces the ranges.
  std::vector<float> ones(32, 1.0f);
  ASSERT_TRUE(succeeded(calibrate(fn, {{make<float>({4, 8}, ones)}})));
  EXPECT_EQ(argRangeOf(fn, 0), (std::vector<double>{0.0, 1.0}));
  EXPECT_EQ(rangeOf(ops[2]), (std::vector<double>{0.0, 1.0}));
}

TEST_F(CalibrationTest, PercentileClipsAnOutlier) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<1x1001xf32> {qcc.name = "x"}) -> tensor<1x1001xf32> {
      %0 = qcc.relu %x : tensor<1x1001xf32>
      return %0 : tensor<1x1001xf32>
    })mlir");
  ASSERT_TRUE(fn);
  std::mt19937 generator(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> x(1001);
  for (float &v : x)
    v = uniform(generator);
  x[500] = 100.0f;
  float min = *std::min_element(x.begin(), x.end());
  float inlierMax = -1.0f;
  for (float v : x)
    if (v < 50)
      inlierMax = std::max(inlierMax, v);
  std::vector<CalibrationSample> samples = {{make<float>({1, 1001}, x)}};

  CalibrationOptions options;
  options.method = CalibrationMethod::Percentile;
  options.percentile = 99.9; // 1000 of the 1001 values
  std::string progress;
  llvm::raw_string_ostream os(progress);
  options.progress = &os;
  ASSERT_TRUE(succeeded(calibrate(fn, samples, options))) << errors;
  // The clip c is the first histogram edge (bins of 100 / 2048) at or above
  // the largest inlier |x|; lo is the data's own minimum, above -c.
  std::vector<double> range = argRangeOf(fn, 0);
  ASSERT_EQ(range.size(), 2u);
  double inlierAbsMax = std::max<double>(-min, inlierMax);
  EXPECT_EQ(range[0], min);
  EXPECT_GE(range[1], inlierAbsMax);
  EXPECT_LE(range[1], inlierAbsMax + 100.0 / 2048);
  std::vector<double> relu = rangeOf(findOp(fn, "qcc.relu"));
  ASSERT_EQ(relu.size(), 2u);
  EXPECT_EQ(relu[0], 0.0);
  EXPECT_GE(relu[1], inlierMax);
  EXPECT_LE(relu[1], inlierMax + 100.0 / 2048);
  EXPECT_NE(progress.find("calibrating: sample 1/1\n"), std::string::npos)
      << progress;
  EXPECT_NE(progress.find("calibrating: histograms, sample 1/1\n"),
            std::string::npos)
      << progress;
  EXPECT_NE(progress.find("calibrated 2 ranges (1 inputs, 1 op results) on 1 "
                          "samples with percentile 99.9"),
            std::string::npos)
      << progress;

  // The 100th percentile is the whole range.
  options.percentile = 100;
  options.progress = nullptr;
  ASSERT_TRUE(succeeded(calibrate(fn, samples, options))) << errors;
  EXPECT_EQ(argRangeOf(fn, 0), (std::vector<double>{min, 100.0}));
}

TEST_F(CalibrationTest, MseBeatsNoClipAndHeavyClip) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<1x65536xf32> {qcc.name = "x"}) -> tensor<1x65536xf32> {
      %0 = qcc.relu %x : tensor<1x65536xf32>
      return %0 : tensor<1x65536xf32>
    })mlir");
  ASSERT_TRUE(fn);
  // 2^20 standard normal values and two outliers.
  std::mt19937 generator(3);
  std::normal_distribution<float> normal;
  std::vector<float> all;
  std::vector<CalibrationSample> samples;
  for (int s = 0; s < 16; ++s) {
    std::vector<float> x(65536);
    for (float &v : x)
      v = normal(generator);
    if (s == 5)
      x[100] = 40.0f;
    if (s == 11)
      x[7] = -37.0f;
    all.insert(all.end(), x.begin(), x.end());
    samples.push_back({make<float>({1, 65536}, x)});
  }
  std::vector<float> relu(all.size());
  for (size_t i = 0; i < all.size(); ++i)
    relu[i] = std::max(all[i], 0.0f);

  CalibrationOptions options;
  options.method = CalibrationMethod::Mse;
  ASSERT_TRUE(succeeded(calibrate(fn, samples, options))) << errors;

  // Signed, symmetric on [-c, c] with 127 steps on each side.
  std::vector<double> range = argRangeOf(fn, 0);
  ASSERT_EQ(range.size(), 2u);
  double c = std::max(-range[0], range[1]);
  EXPECT_EQ(range[0], -c); // the data extends beyond -c and c
  double mse = quantizationError(all, c, 127, false);
  double noClip = quantizationError(all, 40.0, 127, false);
  double heavyClip = quantizationError(all, 1.0, 127, false);
  EXPECT_LT(mse, noClip);
  EXPECT_LT(mse, heavyClip);
  // ... and close to the best clip of a brute-force search.
  double best = INFINITY;
  for (int i = 1; i <= 40; ++i)
    best = std::min(best, quantizationError(all, 0.2 * i, 127, false));
  EXPECT_LE(mse, 1.05 * best) << "c = " << c;

  // Unsigned after the ReLU: [0, c] with 255 steps, half the values zero.
  std::vector<double> reluRange = rangeOf(findOp(fn, "qcc.relu"));
  ASSERT_EQ(reluRange.size(), 2u);
  EXPECT_EQ(reluRange[0], 0.0);
  double reluMse = quantizationError(relu, reluRange[1], 255, true);
  EXPECT_LT(reluMse, quantizationError(relu, 40.0, 255, true));
  EXPECT_LT(reluMse, quantizationError(relu, 1.0, 255, true));
  double reluBest = INFINITY;
  for (int i = 1; i <= 40; ++i)
    reluBest = std::min(reluBest, quantizationError(relu, 0.2 * i, 255, true));
  EXPECT_LE(reluMse, 1.05 * reluBest) << "c = " << reluRange[1];

  // The 4-bit ranges (qcc.range4, for 4-bit activations): 7 and 15 steps,
  // a tighter clip, and again near the brute-force best.
  auto attr4 = [](DenseF64ArrayAttr attr) {
    return attr ? std::vector<double>(attr.asArrayRef().begin(),
                                      attr.asArrayRef().end())
                : std::vector<double>();
  };
  std::vector<double> range4 =
      attr4(fn.getArgAttrOfType<DenseF64ArrayAttr>(0, kRange4AttrName));
  ASSERT_EQ(range4.size(), 2u);
  double c4 = range4[1];
  EXPECT_EQ(range4[0], -c4);
  EXPECT_LT(c4, c);
  double best4 = INFINITY;
  for (int i = 1; i <= 200; ++i)
    best4 = std::min(best4, quantizationError(all, 0.025 * i, 7, false));
  EXPECT_LE(quantizationError(all, c4, 7, false), 1.05 * best4)
      << "c4 = " << c4;
  std::vector<double> relu4 =
      attr4(findOp(fn, "qcc.relu")
                ->getAttrOfType<DenseF64ArrayAttr>(kRange4AttrName));
  ASSERT_EQ(relu4.size(), 2u);
  EXPECT_EQ(relu4[0], 0.0);
  EXPECT_LT(relu4[1], reluRange[1]);
  double reluBest4 = INFINITY;
  for (int i = 1; i <= 200; ++i)
    reluBest4 =
        std::min(reluBest4, quantizationError(relu, 0.025 * i, 15, true));
  EXPECT_LE(quantizationError(relu, relu4[1], 15, true), 1.05 * reluBest4)
      << "c4 = " << relu4[1];
}

TEST_F(CalibrationTest, NonnegativeTensorsKeepLoZero) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<256xf32>) -> tensor<256xf32> {
      %0 = qcc.sigmoid %x : tensor<256xf32>
      return %0 : tensor<256xf32>
    })mlir");
  ASSERT_TRUE(fn);
  std::vector<CalibrationSample> samples = makeSyntheticCalibrationData(fn, 4);
  for (CalibrationMethod method :
       {CalibrationMethod::MinMax, CalibrationMethod::Percentile,
        CalibrationMethod::Mse}) {
    CalibrationOptions options;
    options.method = method;
    options.percentile = 99;
    ASSERT_TRUE(succeeded(calibrate(fn, samples, options))) << errors;
    std::vector<double> range = rangeOf(findOp(fn, "qcc.sigmoid"));
    ASSERT_EQ(range.size(), 2u);
    EXPECT_EQ(range[0], 0.0) << getCalibrationMethodName(method).str();
    EXPECT_GT(range[1], 0.5);
    EXPECT_LT(range[1], 1.0);
  }
}

TEST_F(CalibrationTest, ReportsNonFiniteValues) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<4xf32> {qcc.name = "x"}) -> tensor<4xf32> {
      %0 = qcc.div %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("div_node")
      return %0 : tensor<4xf32>
    })mlir");
  ASSERT_TRUE(fn);
  std::vector<CalibrationSample> good = {{make<float>({4}, {1, 2, 3, 4})},
                                         {make<float>({4}, {1, 2, 0, 4})}};
  EXPECT_TRUE(failed(calibrate(fn, good)));
  EXPECT_NE(errors.find("div_node"), std::string::npos) << errors;
  EXPECT_NE(errors.find("'qcc.div' computes a non-finite value (NaN at "
                        "element 2) on calibration sample 1"),
            std::string::npos)
      << errors;
  // Nothing is attached on failure.
  EXPECT_TRUE(rangeOf(findOp(fn, "qcc.div")).empty());

  errors.clear();
  std::vector<CalibrationSample> bad = {
      {make<float>({4}, {1, -INFINITY, 3, 4})}};
  EXPECT_TRUE(failed(calibrate(fn, bad)));
  EXPECT_NE(errors.find("input 'x' holds a non-finite value (-inf at element "
                        "1) in calibration sample 0"),
            std::string::npos)
      << errors;
}

TEST_F(CalibrationTest, RejectsBadOptions) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
      return %x : tensor<4xf32>
    })mlir");
  ASSERT_TRUE(fn);
  EXPECT_TRUE(failed(calibrate(fn, {})));
  EXPECT_NE(errors.find("at least one sample"), std::string::npos) << errors;
  CalibrationOptions options;
  options.method = CalibrationMethod::Percentile;
  options.percentile = 0;
  EXPECT_TRUE(
      failed(calibrate(fn, makeSyntheticCalibrationData(fn, 1), options)));
  EXPECT_NE(errors.find("percentile 0 is outside (0, 100]"), std::string::npos)
      << errors;
  EXPECT_EQ(parseCalibrationMethod("mse"), CalibrationMethod::Mse);
  EXPECT_EQ(parseCalibrationMethod("percentile"),
            CalibrationMethod::Percentile);
  EXPECT_EQ(parseCalibrationMethod("minmax"), CalibrationMethod::MinMax);
  EXPECT_EQ(parseCalibrationMethod("max"), std::nullopt);
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

constexpr StringLiteral kTwoInputs = R"mlir(
    func.func @main(%x: tensor<2x3xf32> {qcc.name = "x"},
                    %ids: tensor<2xi64> {qcc.name = "ids"}) -> tensor<2x3xf32> {
      return %x : tensor<2x3xf32>
    })mlir";

TEST_F(CalibrationTest, LoadsNpz) {
  func::FuncOp fn = parse(kTwoInputs);
  ASSERT_TRUE(fn);
  std::vector<double> x(18);
  for (int i = 0; i < 18; ++i)
    x[i] = 0.1 * i;
  std::vector<int64_t> ids = {5, 6, 7, 8, 9, 10, 11};
  std::string path =
      writeFile("data.npz",
                makeNpz({{"x", npy<double>(NpyDType::Float64, {6, 3}, x)},
                         {"ids", npy<int64_t>(NpyDType::Int64, {7}, ids)},
                         {"extra", npy<int64_t>(NpyDType::Int64, {1}, {0})}}));
  FailureOr<std::vector<CalibrationSample>> samples =
      loadCalibrationData(fn, path);
  ASSERT_TRUE(succeeded(samples)) << errors;
  ASSERT_EQ(samples->size(), 3u);
  for (int s = 0; s < 3; ++s) {
    const CalibrationSample &sample = (*samples)[s];
    ASSERT_EQ(sample.size(), 2u);
    EXPECT_EQ(sample[0].getShape(), (ArrayRef<int64_t>{2, 3}));
    for (int k = 0; k < 6; ++k)
      EXPECT_EQ(sample[0].getValues<float>()[k],
                static_cast<float>(x[6 * s + k]));
    EXPECT_EQ(sample[1].getValues<int64_t>(),
              (ArrayRef<int64_t>{ids[2 * s], ids[2 * s + 1]}));
  }
  // The extra member and the odd row are warnings.
  EXPECT_NE(warnings.find("ignoring member 'extra'"), std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("input 'ids': 7 rows are not a multiple of the "
                          "batch size 2; the last 1 rows are ignored"),
            std::string::npos)
      << warnings;
  EXPECT_TRUE(errors.empty()) << errors;
  ASSERT_TRUE(succeeded(calibrate(fn, *samples))) << errors;
  EXPECT_EQ(argRangeOf(fn, 0),
            (std::vector<double>{0.0, double(static_cast<float>(x[17]))}));
  EXPECT_TRUE(argRangeOf(fn, 1).empty()); // integer input
}

TEST_F(CalibrationTest, LoadsDirectory) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<2x3xf32> {qcc.name = "x"},
                    %m: tensor<i1> {qcc.name = "input:mask"}) -> tensor<2x3xf32> {
      return %x : tensor<2x3xf32>
    })mlir");
  ASSERT_TRUE(fn);
  std::vector<float> x(12);
  for (int i = 0; i < 12; ++i)
    x[i] = -1.0f * i;
  writeFile("x.npy", npy<float>(NpyDType::Float32, {4, 3}, x));
  // A name that is no file name is looked up with '_' for the odd chars.
  writeFile("input_mask.npy",
            npy<uint8_t>(NpyDType::Bool, {2}, {uint8_t(1), uint8_t(0)}));
  writeFile("notes.npy", npy<float>(NpyDType::Float32, {1}, {0.0f}));
  FailureOr<std::vector<CalibrationSample>> samples =
      loadCalibrationData(fn, getTempDir());
  ASSERT_TRUE(succeeded(samples)) << errors;
  ASSERT_EQ(samples->size(), 2u);
  EXPECT_EQ((*samples)[1][0].getValues<float>(),
            (ArrayRef<float>{-6, -7, -8, -9, -10, -11}));
  EXPECT_EQ((*samples)[0][1].getShape(), ArrayRef<int64_t>{});
  EXPECT_EQ((*samples)[0][1].getValues<bool>()[0], true);
  EXPECT_EQ((*samples)[1][1].getValues<bool>()[0], false);
  EXPECT_NE(warnings.find("ignoring 'notes.npy'"), std::string::npos)
      << warnings;

  // A missing file is an error.
  llvm::sys::fs::remove(getTempDir() + "/input_mask.npy");
  EXPECT_TRUE(failed(loadCalibrationData(fn, getTempDir())));
  EXPECT_NE(errors.find("no 'input:mask.npy' or 'input_mask.npy' for input "
                        "'input:mask'"),
            std::string::npos)
      << errors;
}

TEST_F(CalibrationTest, ReportsBadData) {
  func::FuncOp fn = parse(kTwoInputs);
  ASSERT_TRUE(fn);
  std::vector<float> x(12, 0.5f);
  std::string goodX = npy<float>(NpyDType::Float32, {4, 3}, x);
  std::string goodIds = npy<int64_t>(NpyDType::Int64, {4}, {1, 2, 3, 4});
  auto expectError = [&](StringRef name, StringRef bytes, StringRef message) {
    errors.clear();
    std::string path = writeFile(name, bytes);
    EXPECT_TRUE(failed(loadCalibrationData(fn, path))) << name.str();
    EXPECT_NE(errors.find(message), std::string::npos)
        << name.str() << ": " << errors;
    // Every message names the data.
    EXPECT_NE(errors.find("calibration data '" + path + "'"), std::string::npos)
        << errors;
  };

  errors.clear();
  EXPECT_TRUE(failed(loadCalibrationData(fn, getTempDir() + "/none.npz")));
  EXPECT_NE(errors.find("none.npz"), std::string::npos) << errors;

  expectError("missing.npz", makeNpz({{"x", goodX}}),
              "no member for input 'ids' (members: 'x')");
  expectError(
      "dtype.npz",
      makeNpz({{"x", npy<int32_t>(NpyDType::Int32, {4, 3},
                                  std::vector<int32_t>(12, 1))},
               {"ids", goodIds}}),
      "input 'x': '" + getTempDir() +
          "/dtype.npz:x' has dtype int32, expected float32 (or float64)");
  expectError(
      "ids_dtype.npz",
      makeNpz({{"x", goodX},
               {"ids", npy<int32_t>(NpyDType::Int32, {4}, {1, 2, 3, 4})}}),
      "has dtype int32, expected int64");
  expectError(
      "dims.npz",
      makeNpz(
          {{"x", npy<float>(NpyDType::Float32, {3, 4}, x)}, {"ids", goodIds}}),
      "has shape (3, 4), expected (N, 3): samples of shape (2, 3) stacked "
      "along dimension 0");
  expectError("rank.npz",
              makeNpz({{"x", npy<float>(NpyDType::Float32, {12}, x)},
                       {"ids", goodIds}}),
              "has shape (12,), expected (N, 3)");
  expectError(
      "few.npz",
      makeNpz({{"x", npy<float>(NpyDType::Float32, {1, 3}, {1.f, 2.f, 3.f})},
               {"ids", goodIds}}),
      "has 1 rows, fewer than the batch size 2 of one sample");
  expectError("counts.npz",
              makeNpz({{"x", goodX},
                       {"ids", npy<int64_t>(NpyDType::Int64, {6},
                                            {1, 2, 3, 4, 5, 6})}}),
              "the inputs give different numbers of samples: 'x' 2, 'ids' 3");
  expectError("compressed.npz",
              makeNpz({{"x", goodX}, {"ids", goodIds}}, /*deflated=*/true),
              "is compressed (numpy.savez_compressed)");
  expectError("garbage.npz", "this is not a zip archive at all",
              "not an .npz file");
  std::string truncated = makeNpz({{"x", goodX}, {"ids", goodIds}});
  truncated[100] ^= 0x55; // inside x's data: fails the CRC
  expectError("crc.npz", truncated, "fails its CRC check");
  std::string badNpy = "\x93NUMPY garbage";
  expectError("npy.npz", makeNpz({{"x", badNpy}, {"ids", goodIds}}),
              "npy.npz:x");
  EXPECT_TRUE(warnings.empty()) << warnings;
}

//===----------------------------------------------------------------------===//
// Synthetic data
//===----------------------------------------------------------------------===//

TEST_F(CalibrationTest, SyntheticDataIsDeterministic) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<64x64xf32>, %ids: tensor<3xi64>,
                    %m: tensor<2xi1>, %q: tensor<2xui8>) -> tensor<64x64xf32> {
      return %x : tensor<64x64xf32>
    })mlir");
  ASSERT_TRUE(fn);
  std::vector<CalibrationSample> a = makeSyntheticCalibrationData(fn, 3);
  std::vector<CalibrationSample> b = makeSyntheticCalibrationData(fn, 3);
  ASSERT_EQ(a.size(), 3u);
  for (int s = 0; s < 3; ++s) {
    ASSERT_EQ(a[s].size(), 4u);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(a[s][i].getBytes(), b[s][i].getBytes());
    EXPECT_EQ(a[s][1].getValues<int64_t>(), (ArrayRef<int64_t>{1, 1, 1}));
    EXPECT_EQ(a[s][2].getValues<bool>(), (ArrayRef<bool>{true, true}));
    EXPECT_EQ(a[s][3].getValues<uint8_t>(), (ArrayRef<uint8_t>{1, 1}));
  }
  EXPECT_NE(a[0][0].getBytes(), a[1][0].getBytes());
  // Standard normal: mean 0 and variance 1 within a few standard errors.
  double sum = 0, squares = 0;
  int64_t n = 0;
  for (const CalibrationSample &sample : a)
    for (float v : sample[0].getValues<float>()) {
      sum += v;
      squares += double(v) * v;
      ++n;
    }
  double mean = sum / n, variance = squares / n - mean * mean;
  EXPECT_LT(std::fabs(mean), 0.03);
  EXPECT_LT(std::fabs(variance - 1), 0.05);
  // The values do not depend on the standard library (up to the last bit
  // of log/sin/cos): pin the first ones.
  EXPECT_NEAR(a[0][0].getValues<float>()[0], -0.0422948f, 1e-6);
  EXPECT_NEAR(a[0][0].getValues<float>()[1], -0.1697624f, 1e-6);
}

} // namespace
