//===- FuseLinear.cpp - matmul/conv chains for qcc_rt_linear --------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "FuseLinear.h"

#include "Dtypes.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Runtime/PackedLinear.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// The runtime dtype of an integer element type of at most 32 bits, or -1.
int64_t getIntDtype(Type type) {
  int64_t dtype = getDType(type);
  return dtype == QCC_I8 || dtype == QCC_U8 || dtype == QCC_I16 ||
                 dtype == QCC_I32
             ? dtype
             : -1;
}

Type getElementType(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}

/// The dense constant behind `v`, or null.
DenseElementsAttr getConstant(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  return c ? dyn_cast<DenseElementsAttr>(c.getValue()) : DenseElementsAttr();
}

bool hasOneReader(Value v) { return v.hasOneUse(); }

/// Whether `v` is available before `root` runs.
bool isDefinedBefore(Value v, Operation *root) {
  if (isa<BlockArgument>(v))
    return true;
  Operation *def = v.getDefiningOp();
  return def->getBlock() == root->getBlock() && def->isBeforeInBlock(root);
}

/// Dyadics of a requant-like op usable along channel dimension `axis` of
/// `n` channels.
bool dyadicsFit(ArrayRef<int32_t> multiplier, int64_t opAxis, int64_t axis,
                int64_t n) {
  if (multiplier.size() == 1)
    return true;
  return static_cast<int64_t>(multiplier.size()) == n && opAxis == axis;
}

/// A constant i32 bias of `n` entries along `axis` of a rank-`rank` result
/// (all other dimensions 1), or none.
std::optional<SmallVector<int32_t>> getBias(Value v, int64_t axis, int64_t rank,
                                            int64_t n) {
  DenseElementsAttr dense = getConstant(v);
  if (!dense || getIntDtype(dense.getElementType()) != QCC_I32)
    return std::nullopt;
  ArrayRef<int64_t> shape = dense.getType().getShape();
  if (static_cast<int64_t>(shape.size()) > rank)
    return std::nullopt;
  // Right-aligned broadcasting: only `axis` may differ from 1.
  int64_t offset = rank - static_cast<int64_t>(shape.size());
  for (auto [d, size] : llvm::enumerate(shape)) {
    int64_t dim = offset + static_cast<int64_t>(d);
    if (size != (dim == axis ? n : 1) && !(dim == axis && size == 1))
      return std::nullopt;
  }
  SmallVector<int32_t> bias;
  if (dense.isSplat() || dense.getNumElements() == 1)
    bias.assign(n, dense.getSplatValue<APInt>().getSExtValue());
  else
    for (const APInt &b : dense.getValues<APInt>())
      bias.push_back(static_cast<int32_t>(b.getSExtValue()));
  return bias;
}

/// Everything needed to pack one chain.
struct Chain {
  qcc_rt::LinearSpec spec;
  std::vector<int8_t> weights;
  SmallVector<int32_t> bias;
  SmallVector<int32_t> multiplier, shift, resMultiplier, resShift;
  SmallVector<int32_t> addMultiplier, addShift;
};

std::optional<FusedLinear> matchChain(Operation *root, bool directConv) {
  FusedLinear fused;
  Chain chain;
  qcc_rt::LinearSpec &spec = chain.spec;
  Value input, weight;
  int64_t axis;
  if (auto mm = dyn_cast<MatMulOp>(root)) {
    input = mm.getLhs();
    weight = mm.getRhs();
    spec.kind = qcc_rt::LinearKind::MatMul;
    auto wType = cast<RankedTensorType>(weight.getType());
    if (wType.getRank() != 2)
      return std::nullopt;
    spec.k = wType.getDimSize(0);
    spec.n = wType.getDimSize(1);
    axis = cast<RankedTensorType>(mm.getType()).getRank() - 1;
  } else if (auto conv = dyn_cast<ConvOp>(root)) {
    input = conv.getInput();
    weight = conv.getWeight();
    spec.kind = qcc_rt::LinearKind::Conv;
    auto wType = cast<RankedTensorType>(weight.getType());
    int64_t rank = wType.getRank();
    if (rank < 3 || rank > 16)
      return std::nullopt;
    spec.n = wType.getDimSize(0);
    spec.k = wType.getNumElements() / std::max<int64_t>(spec.n, 1);
    axis = 1;
    fused.attrs.push_back(i64(conv.getGroup()));
    auto append = [&](ArrayRef<int64_t> values) {
      fused.attrs.push_back(static_cast<int64_t>(values.size()));
      fused.attrs.append(values.begin(), values.end());
    };
    append(conv.getStrides());
    append(conv.getPads());
    append(conv.getDilations());
    append(wType.getShape().drop_front(2));
    if (directConv &&
        qcc_rt::supportsDirectConv(rank - 2, conv.getGroup(),
                                   conv.getDilations().data()) &&
        qcc_rt::prefersDirectConv(
            wType.getDimSize(1),
            spec.k / std::max<int64_t>(wType.getDimSize(1), 1)))
      spec.convChannels = wType.getDimSize(1);
    if (Value b = conv.getBias()) {
      std::optional<SmallVector<int32_t>> bias = getBias(b, 0, 1, spec.n);
      if (!bias)
        return std::nullopt;
      chain.bias = std::move(*bias);
    }
  } else {
    return std::nullopt;
  }
  spec.activationDtype = getIntDtype(getElementType(input));
  if (spec.activationDtype != QCC_I8 && spec.activationDtype != QCC_U8)
    return std::nullopt;
  DenseElementsAttr w = getConstant(weight);
  if (!w || getIntDtype(w.getElementType()) != QCC_I8 ||
      getIntDtype(getElementType(root->getResult(0))) != QCC_I32)
    return std::nullopt;
  if (w.isSplat()) {
    chain.weights.assign(
        w.getNumElements(),
        static_cast<int8_t>(w.getSplatValue<APInt>().getSExtValue()));
  } else {
    ArrayRef<char> raw = w.getRawData();
    chain.weights.assign(raw.begin(), raw.end());
  }
  spec.weights = chain.weights.data();
  // Weights quantized to 4 bits (the dialect verifier checked the range)
  // are stored two per byte.
  if (auto bits =
          root->getAttrOfType<IntegerAttr>(QccDialect::kWeightBitsAttrName))
    spec.weightBits = bits.getInt();
  fused.root = root;
  fused.input = input;
  Value value = root->getResult(0);
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();

  // An added bias.
  if (hasOneReader(value)) {
    if (auto add = dyn_cast<AddOp>(*value.getUsers().begin())) {
      Value other = add.getLhs() == value ? add.getRhs() : add.getLhs();
      std::optional<SmallVector<int32_t>> bias =
          add.getType() == value.getType() && other != value
              ? getBias(other, axis, rank, spec.n)
              : std::nullopt;
      if (bias) {
        if (chain.bias.empty())
          chain.bias.assign(spec.n, 0);
        for (int64_t c = 0; c < spec.n; ++c)
          chain.bias[c] =
              static_cast<int32_t>(static_cast<uint32_t>(chain.bias[c]) +
                                   static_cast<uint32_t>((*bias)[c]));
        fused.absorbed.push_back(add);
        value = add.getResult();
      }
    }
  }
  spec.bias = chain.bias.empty() ? nullptr : chain.bias.data();
  fused.result = value;

  // The requantization, with or without a residual.
  std::optional<FusedLinear> withEpilogue;
  if (hasOneReader(value)) {
    Operation *user = *value.getUsers().begin();
    qcc_rt::LinearSpec s = spec;
    Value result, residual;
    SmallVector<Operation *, 2> epilogueOps = {user};
    auto setOutput = [&](Value out, std::optional<uint64_t> lo,
                         std::optional<uint64_t> hi) {
      s.outputDtype = getIntDtype(getElementType(out));
      if (s.outputDtype < 0)
        return false;
      auto [tlo, thi] = typeRange(getElementType(out));
      s.lo = lo ? std::max(tlo, i64(*lo)) : tlo;
      s.hi = hi ? std::min(thi, i64(*hi)) : thi;
      result = out;
      return true;
    };
    if (auto rq = dyn_cast<RequantOp>(user)) {
      if (rq.getInputZeroPoint() == 0 &&
          dyadicsFit(rq.getMultiplier(), i64(rq.getAxis()), axis, spec.n) &&
          setOutput(rq.getResult(), rq.getMin(), rq.getMax())) {
        s.epilogue = qcc_rt::LinearEpilogue::Requant;
        s.zeroPoint = i64(rq.getOutputZeroPoint());
        chain.multiplier.assign(rq.getMultiplier().begin(),
                                rq.getMultiplier().end());
        chain.shift.assign(rq.getShift().begin(), rq.getShift().end());
        // An 8-bit requant whose only reader is a residual add: both in
        // the epilogue, the requant's rounding and clamp kept.
        Value mid = rq.getResult();
        RequantAddOp ra =
            hasOneReader(mid) && getElementType(mid).isInteger(8)
                ? dyn_cast<RequantAddOp>(*mid.getUsers().begin())
                : RequantAddOp();
        if (ra) {
          bool lhs = ra.getLhs() == mid;
          Value other = lhs ? ra.getRhs() : ra.getLhs();
          ArrayRef<int32_t> am =
              lhs ? ra.getLhsMultiplier() : ra.getRhsMultiplier();
          ArrayRef<int32_t> ae = lhs ? ra.getLhsShift() : ra.getRhsShift();
          ArrayRef<int32_t> rm =
              lhs ? ra.getRhsMultiplier() : ra.getLhsMultiplier();
          ArrayRef<int32_t> re = lhs ? ra.getRhsShift() : ra.getLhsShift();
          qcc_rt::LinearSpec t = s;
          t.residualDtype = getIntDtype(getElementType(other));
          Value midResult = result;
          qcc_rt::LinearSpec requantOnly = s;
          if (other != mid && t.residualDtype >= 0 &&
              other.getType() == ra.getType().clone(getElementType(other)) &&
              isDefinedBefore(other, root) &&
              dyadicsFit(am, i64(ra.getAxis()), axis, spec.n) &&
              dyadicsFit(rm, i64(ra.getAxis()), axis, spec.n) &&
              setOutput(ra.getResult(), ra.getMin(), ra.getMax())) {
            s.epilogue = qcc_rt::LinearEpilogue::RequantThenAdd;
            s.residualDtype = t.residualDtype;
            s.outputDtype = getIntDtype(getElementType(ra.getResult()));
            auto [mlo, mhi] = typeRange(getElementType(mid));
            s.midLo = rq.getMin() ? std::max(mlo, i64(*rq.getMin())) : mlo;
            s.midHi = rq.getMax() ? std::min(mhi, i64(*rq.getMax())) : mhi;
            s.midZeroPoint = s.zeroPoint;
            s.zeroPoint = 0;
            auto [olo, ohi] = typeRange(getElementType(ra.getResult()));
            s.lo = ra.getMin() ? std::max(olo, i64(*ra.getMin())) : olo;
            s.hi = ra.getMax() ? std::min(ohi, i64(*ra.getMax())) : ohi;
            chain.addMultiplier.assign(am.begin(), am.end());
            chain.addShift.assign(ae.begin(), ae.end());
            chain.resMultiplier.assign(rm.begin(), rm.end());
            chain.resShift.assign(re.begin(), re.end());
            residual = other;
            epilogueOps.push_back(ra);
          } else {
            s = requantOnly;
            result = midResult;
          }
        }
      }
    } else if (auto ra = dyn_cast<RequantAddOp>(user)) {
      bool lhs = ra.getLhs() == value;
      residual = lhs ? ra.getRhs() : ra.getLhs();
      ArrayRef<int32_t> m = lhs ? ra.getLhsMultiplier() : ra.getRhsMultiplier();
      ArrayRef<int32_t> e = lhs ? ra.getLhsShift() : ra.getRhsShift();
      ArrayRef<int32_t> rm =
          lhs ? ra.getRhsMultiplier() : ra.getLhsMultiplier();
      ArrayRef<int32_t> re = lhs ? ra.getRhsShift() : ra.getLhsShift();
      s.residualDtype = getIntDtype(getElementType(residual));
      if (residual != value && s.residualDtype >= 0 &&
          residual.getType() == ra.getType().clone(getElementType(residual)) &&
          isDefinedBefore(residual, root) &&
          dyadicsFit(m, i64(ra.getAxis()), axis, spec.n) &&
          dyadicsFit(rm, i64(ra.getAxis()), axis, spec.n) &&
          setOutput(ra.getResult(), ra.getMin(), ra.getMax())) {
        s.epilogue = qcc_rt::LinearEpilogue::RequantAdd;
        chain.multiplier.assign(m.begin(), m.end());
        chain.shift.assign(e.begin(), e.end());
        chain.resMultiplier.assign(rm.begin(), rm.end());
        chain.resShift.assign(re.begin(), re.end());
      } else {
        residual = Value();
      }
    }
    if (s.epilogue != qcc_rt::LinearEpilogue::None) {
      s.multiplier = chain.multiplier.data();
      s.shift = chain.shift.data();
      s.numScales = static_cast<int64_t>(chain.multiplier.size());
      s.residualMultiplier = chain.resMultiplier.data();
      s.residualShift = chain.resShift.data();
      s.numResidualScales = static_cast<int64_t>(chain.resMultiplier.size());
      s.addMultiplier = chain.addMultiplier.data();
      s.addShift = chain.addShift.data();
      s.numAddScales = static_cast<int64_t>(chain.addMultiplier.size());
      if (!qcc_rt::checkLinearSpec(s)) {
        spec = s;
        fused.absorbed.append(epilogueOps.begin(), epilogueOps.end());
        fused.result = result;
        fused.residual = residual;
      }
    }
  }
  if (qcc_rt::checkLinearSpec(spec))
    return std::nullopt;
  fused.blob.assign(qcc_rt::getPackedLinearSize(spec), '\0');
  if (!qcc_rt::packLinear(spec, fused.blob.data()))
    return std::nullopt;
  return fused;
}

} // namespace

LinearFusion LinearFusion::analyze(func::FuncOp fn, bool directConv) {
  LinearFusion fusion;
  for (Operation &op : fn.getBody().front()) {
    if (!isa<MatMulOp, ConvOp>(op))
      continue;
    std::optional<FusedLinear> chain = matchChain(&op, directConv);
    if (!chain)
      continue;
    fusion.roots[&op] = fusion.chains.size();
    for (Operation *a : chain->absorbed)
      fusion.absorbed.insert(a);
    fusion.chains.push_back(std::move(*chain));
  }
  return fusion;
}
