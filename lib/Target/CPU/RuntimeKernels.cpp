//===- RuntimeKernels.cpp - runtime kernel of each integer op -------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "RuntimeKernels.h"

#include "Dtypes.h"

#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qcc;

LogicalResult mlir::qcc::getRuntimeKernel(Operation *op, std::string &name,
                                          SmallVectorImpl<int64_t> &attrs) {
  auto append = [&](ArrayRef<int64_t> values, bool withCount) {
    if (withCount)
      attrs.push_back(static_cast<int64_t>(values.size()));
    attrs.append(values.begin(), values.end());
  };
  auto append32 = [&](ArrayRef<int32_t> values, bool withCount) {
    if (withCount)
      attrs.push_back(static_cast<int64_t>(values.size()));
    for (int32_t v : values)
      attrs.push_back(v);
  };
  auto appendScales = [&](ArrayRef<float> scales, ArrayRef<int64_t> zps,
                          int64_t axis) {
    attrs.push_back(axis);
    append(zps, true);
    for (float s : scales) {
      uint32_t bits;
      std::memcpy(&bits, &s, 4);
      attrs.push_back(bits);
    }
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](QuantizeOp q) {
        name = "quantize";
        appendScales(q.getScales(), q.getZeroPoints(), i64(q.getAxis()));
        return success();
      })
      .Case([&](DequantizeOp q) {
        name = "dequantize";
        appendScales(q.getScales(), q.getZeroPoints(), i64(q.getAxis()));
        return success();
      })
      .Case([&](ConvOp c) {
        name = "conv";
        attrs.push_back(i64(c.getGroup()));
        append(c.getStrides(), true);
        append(c.getPads(), true);
        append(c.getDilations(), true);
        return success();
      })
      .Case([&](MatMulOp) {
        name = "matmul";
        return success();
      })
      .Case([&](AddOp) { return name = "add", success(); })
      .Case([&](SubOp) { return name = "sub", success(); })
      .Case([&](MulOp) { return name = "mul", success(); })
      .Case([&](DivOp) { return name = "div", success(); })
      .Case([&](LessOp) { return name = "less", success(); })
      .Case([&](GreaterOp) { return name = "greater", success(); })
      .Case([&](WhereOp) { return name = "where", success(); })
      .Case([&](ReluOp) { return name = "relu", success(); })
      .Case([&](CastOp) { return name = "cast", success(); })
      .Case([&](RequantOp r) {
        name = "requant";
        auto [lo, hi] =
            typeRange(cast<ShapedType>(r.getType()).getElementType());
        attrs.push_back(i64(r.getAxis()));
        attrs.push_back(i64(r.getInputZeroPoint()));
        attrs.push_back(i64(r.getOutputZeroPoint()));
        attrs.push_back(r.getMin() ? i64(*r.getMin()) : lo);
        attrs.push_back(r.getMax() ? i64(*r.getMax()) : hi);
        append32(r.getMultiplier(), true);
        append32(r.getShift(), false);
        return success();
      })
      .Case([&](RequantAddOp r) {
        name = "requant_add";
        auto [lo, hi] =
            typeRange(cast<ShapedType>(r.getType()).getElementType());
        attrs.push_back(i64(r.getAxis()));
        attrs.push_back(r.getMin() ? i64(*r.getMin()) : lo);
        attrs.push_back(r.getMax() ? i64(*r.getMax()) : hi);
        append32(r.getLhsMultiplier(), true);
        append32(r.getLhsShift(), false);
        append32(r.getRhsMultiplier(), true);
        append32(r.getRhsShift(), false);
        return success();
      })
      .Case([&](IntSoftmaxOp s) {
        name = "int_softmax";
        attrs.append({static_cast<int32_t>(s.getInputBits()),
                      static_cast<int32_t>(s.getExpMultiplier()),
                      static_cast<int32_t>(s.getExpShift()), i64(s.getPolyB()),
                      i64(s.getPolyC()),
                      static_cast<int32_t>(s.getE16Multiplier()),
                      static_cast<int32_t>(s.getE16Shift())});
        return success();
      })
      .Case([&](IntGeluOp g) {
        name = "int_gelu";
        attrs.append({i64(g.getClip()), i64(g.getOne()),
                      static_cast<int32_t>(g.getErfShift()),
                      static_cast<int32_t>(g.getOutputMultiplier()),
                      static_cast<int32_t>(g.getOutputShift())});
        return success();
      })
      .Case([&](IntLayerNormOp l) {
        name = "int_layer_norm";
        attrs.push_back(static_cast<int32_t>(l.getVarShift()));
        attrs.push_back(i64(l.getVarOffset()));
        append32(l.getMultiplier(), true);
        append32(l.getShift(), false);
        append32(l.getBias(), false);
        return success();
      })
      .Case([&](LookupOp l) {
        name = "lookup";
        append32(l.getTable(), true);
        return success();
      })
      .Case([&](ReduceSumOp r) {
        name = "reduce_sum";
        attrs.push_back(r.getKeepdims());
        append(r.getAxes(), true);
        return success();
      })
      .Case([&](ReduceMaxOp r) {
        name = "reduce_max";
        attrs.push_back(r.getKeepdims());
        append(r.getAxes(), true);
        return success();
      })
      .Case([&](MaxPoolOp p) {
        name = "max_pool";
        append(p.getKernelShape(), true);
        append(p.getStrides(), true);
        append(p.getPads(), true);
        append(p.getDilations(), true);
        return success();
      })
      .Case([&](TransposeOp t) {
        name = "transpose";
        append(t.getPermutation(), true);
        return success();
      })
      .Case([&](ConcatOp c) {
        name = "concat";
        attrs.push_back(i64(c.getAxis()));
        return success();
      })
      .Case([&](SliceOp s) {
        name = "slice";
        append(s.getStarts(), true);
        append(s.getSteps(), false);
        return success();
      })
      .Case([&](GatherOp g) {
        name = "gather";
        attrs.push_back(i64(g.getAxis()));
        return success();
      })
      .Case([&](BroadcastToOp) { return name = "broadcast_to", success(); })
      .Case([&](PadOp p) -> LogicalResult {
        name = "pad";
        attrs.push_back(static_cast<int64_t>(p.getMode()));
        append(p.getPads(), true);
        int64_t value = 0;
        if (auto i = dyn_cast_or_null<IntegerAttr>(p.getValueAttr()))
          value = i.getValue().getSExtValue();
        else if (p.getValueAttr() && !isa<IntegerAttr>(p.getValueAttr()))
          return op->emitError("the CPU backend pads integer tensors only");
        attrs.push_back(value);
        return success();
      })
      .Default([&](Operation *op) {
        return op->emitError("the CPU backend has no kernel for '")
               << op->getName() << "'";
      });
}
