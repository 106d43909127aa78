//===- BitAllocationLayers.cpp - the layers bit allocation sees -----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Finds the convs and matmuls by constant weights of a float graph, their
// sizes and multiply-adds, the ties between them (BitAllocation.h), and
// the quantization error of their weights.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/Transforms/BitAllocation.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/EquivalenceClasses.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qcc;

std::string LayerConfig::getName() const {
  return "W" + std::to_string(weightBits) + "A" +
         std::to_string(activationBits);
}

std::optional<LayerConfig> mlir::qcc::parseLayerConfig(StringRef text) {
  if (text.size() != 4 || text[0] != 'W' || text[2] != 'A')
    return std::nullopt;
  auto digit = [](char c) -> int64_t {
    return c == '8' ? 8 : c == '4' ? 4 : 0;
  };
  LayerConfig config{digit(text[1]), digit(text[3])};
  if (!config.weightBits || !config.activationBits)
    return std::nullopt;
  return config;
}

void mlir::qcc::setLayerConfig(Operation *op, const LayerConfig &config) {
  auto mark = [op](StringRef name, int64_t bits) {
    if (bits == 8)
      op->removeAttr(name);
    else
      op->setAttr(
          name, IntegerAttr::get(IntegerType::get(op->getContext(), 64), bits));
  };
  mark(QccDialect::kWeightBitsAttrName, config.weightBits);
  mark(QccDialect::kActivationBitsAttrName, config.activationBits);
}

/// The float values of a constant weight: an f32 constant, or a dequantize
/// of an integer constant.
static std::optional<SmallVector<double>> getFloatValues(Value v) {
  DenseElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr))) {
    if (!isa<FloatType>(attr.getElementType()))
      return std::nullopt;
    SmallVector<double> values;
    for (const APFloat &f : attr.getValues<APFloat>())
      values.push_back(f.convertToDouble());
    return values;
  }
  auto dq = v.getDefiningOp<DequantizeOp>();
  if (!dq || !matchPattern(dq.getInput(), m_Constant(&attr)))
    return std::nullopt;
  auto type = cast<RankedTensorType>(attr.getType());
  bool isUnsigned = attr.getElementType().isUnsignedInteger();
  ArrayRef<float> scales = dq.getScales();
  ArrayRef<int64_t> zeroPoints = dq.getZeroPoints();
  int64_t axis = static_cast<int64_t>(dq.getAxis());
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < type.getRank() && scales.size() > 1; ++d)
    inner *= type.getDimSize(d);
  SmallVector<double> values;
  int64_t i = 0;
  for (const APInt &q : attr.getValues<APInt>()) {
    size_t c = scales.size() == 1
                   ? 0
                   : static_cast<size_t>((i / inner) % type.getDimSize(axis));
    int64_t x =
        isUnsigned ? static_cast<int64_t>(q.getZExtValue()) : q.getSExtValue();
    values.push_back(static_cast<double>(x - zeroPoints[c]) * scales[c]);
    ++i;
  }
  return values;
}

/// Whether getFloatValues would succeed, without converting the values.
static bool isConstantWeight(Value w) {
  DenseElementsAttr attr;
  if (matchPattern(w, m_Constant(&attr)))
    return isa<FloatType>(attr.getElementType());
  auto dq = w.getDefiningOp<DequantizeOp>();
  return dq && matchPattern(dq.getInput(), m_Constant());
}

SmallVector<QuantLayer> mlir::qcc::collectQuantLayers(func::FuncOp fn) {
  SmallVector<QuantLayer> layers;
  fn.walk([&](Operation *op) {
    QuantLayer layer;
    layer.op = op;
    if (!isa<ConvOp, MatMulOp>(op))
      return;
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    if (auto conv = dyn_cast<ConvOp>(op)) {
      layer.weight = conv.getWeight();
      layer.input = conv.getInput();
      layer.weightAxis = 0;
      auto w = cast<RankedTensorType>(layer.weight.getType());
      layer.params = w.getNumElements();
      // Each output element: channels per group x kernel size products.
      layer.macs = resultType.getNumElements() *
                   (w.getNumElements() / std::max<int64_t>(w.getDimSize(0), 1));
    } else if (auto mm = dyn_cast<MatMulOp>(op)) {
      layer.weight = mm.getRhs();
      layer.input = mm.getLhs();
      auto w = cast<RankedTensorType>(layer.weight.getType());
      if (w.getRank() < 2)
        return;
      layer.weightAxis = w.getRank() - 1;
      layer.params = w.getNumElements();
      layer.macs = resultType.getNumElements() * w.getDimSize(w.getRank() - 2);
    } else {
      return;
    }
    if (!isConstantWeight(layer.weight))
      return;
    layer.name = getNodeName(op->getLoc());
    if (layer.name.empty())
      layer.name = op->getName().stripDialect().str() + "_" +
                   std::to_string(layers.size());
    layers.push_back(std::move(layer));
  });
  return layers;
}

/// The layer whose output `v` is, looking through a bias add, reshapes and
/// transposes; or -1.
static int64_t
traceToLayer(Value v, const llvm::DenseMap<Operation *, unsigned> &index) {
  for (int steps = 0; steps < 8 && v; ++steps) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return -1;
    auto it = index.find(def);
    if (it != index.end())
      return it->second;
    if (isa<ReshapeOp, TransposeOp>(def)) {
      v = def->getOperand(0);
      continue;
    }
    if (auto add = dyn_cast<AddOp>(def)) {
      if (matchPattern(add.getRhs(), m_Constant()))
        v = add.getLhs();
      else if (matchPattern(add.getLhs(), m_Constant()))
        v = add.getRhs();
      else
        return -1;
      continue;
    }
    return -1;
  }
  return -1;
}

std::vector<SmallVector<unsigned, 4>>
mlir::qcc::collectLayerTies(ArrayRef<QuantLayer> layers) {
  llvm::EquivalenceClasses<unsigned> classes;
  llvm::DenseMap<Operation *, unsigned> index;
  llvm::DenseMap<Value, unsigned> firstReader;
  for (auto [i, layer] : llvm::enumerate(layers)) {
    classes.insert(i);
    index[layer.op] = i;
    // Layers reading one activation (Q/K/V projections).
    auto [it, inserted] = firstReader.try_emplace(layer.input, i);
    if (!inserted)
      classes.unionSets(it->second, i);
  }
  if (layers.empty())
    return {};
  auto fn = layers.front().op->getParentOfType<func::FuncOp>();
  fn.walk([&](Operation *op) {
    // Residual adds of two layer outputs, and concats of layer outputs.
    if (!isa<AddOp, ConcatOp>(op))
      return;
    if (auto add = dyn_cast<AddOp>(op))
      if (matchPattern(add.getLhs(), m_Constant()) ||
          matchPattern(add.getRhs(), m_Constant()))
        return;
    SmallVector<int64_t> found;
    for (Value operand : op->getOperands())
      if (int64_t l = traceToLayer(operand, index); l >= 0)
        found.push_back(l);
    for (size_t i = 1; i < found.size(); ++i)
      classes.unionSets(static_cast<unsigned>(found[0]),
                        static_cast<unsigned>(found[i]));
  });
  std::vector<SmallVector<unsigned, 4>> ties;
  for (auto it = classes.begin(); it != classes.end(); ++it) {
    if (!(*it)->isLeader())
      continue;
    SmallVector<unsigned, 4> group(classes.member_begin(**it),
                                   classes.member_end());
    if (group.size() < 2)
      continue;
    llvm::sort(group);
    ties.push_back(std::move(group));
  }
  llvm::sort(ties, [](const auto &a, const auto &b) { return a[0] < b[0]; });
  return ties;
}

double mlir::qcc::getWeightQuantError(const QuantLayer &layer, int64_t bits) {
  std::optional<SmallVector<double>> values = getFloatValues(layer.weight);
  if (!values)
    return 0;
  auto type = cast<RankedTensorType>(layer.weight.getType());
  int64_t channels = type.getDimSize(layer.weightAxis);
  int64_t inner = 1;
  for (int64_t d = layer.weightAxis + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  SmallVector<double> absMax(channels, 0.0);
  for (auto [i, v] : llvm::enumerate(*values)) {
    int64_t c = (static_cast<int64_t>(i) / inner) % channels;
    absMax[c] = std::max(absMax[c], std::fabs(v));
  }
  double qmax = static_cast<double>((int64_t(1) << (bits - 1)) - 1);
  double error = 0;
  for (auto [i, v] : llvm::enumerate(*values)) {
    int64_t c = (static_cast<int64_t>(i) / inner) % channels;
    double scale = absMax[c] > 0 ? absMax[c] / qmax : 1.0;
    double q = std::clamp(std::round(v / scale), -qmax, qmax) * scale;
    error += (q - v) * (q - v);
  }
  return error;
}
