//===- ImportQuantized.cpp - QDQ and quantized operators --------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "ImportHelpers.h"
#include "qcc/Support/ShapeSpec.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::onnx_import;

namespace {

//===----------------------------------------------------------------------===//
// Quantized operators
//===----------------------------------------------------------------------===//

/// Affine parameters of a (De)QuantizeLinear-style operand pair.
struct AffineParams {
  SmallVector<float> scales;
  SmallVector<int64_t> zeroPoints;
  Type storage;
};

/// Reads scale input `scaleIndex` and optional zero point `zpIndex`; the
/// storage type is the zero point's, else `defaultStorage`.
FailureOr<AffineParams> readAffine(NodeImporter &n, unsigned scaleIndex,
                                   unsigned zpIndex, Type defaultStorage) {
  AffineParams params;
  FailureOr<SmallVector<float>> scales = n.constantFloats(scaleIndex, "scale");
  if (failed(scales))
    return failure();
  params.scales = *scales;
  params.storage = defaultStorage;
  if (n.input(zpIndex)) {
    FailureOr<SmallVector<int64_t>> zp = n.constantInts(zpIndex, "zero point");
    if (failed(zp))
      return failure();
    params.zeroPoints = *zp;
    params.storage = n.inputType(zpIndex).getElementType();
  } else {
    params.zeroPoints.assign(params.scales.size(), 0);
  }
  if (params.zeroPoints.size() != params.scales.size())
    return n.emitError() << "scale and zero point differ in size";
  // ONNX zero points of unsigned types read back as unsigned.
  if (params.storage.isUnsignedInteger(8))
    for (int64_t &zp : params.zeroPoints)
      zp &= 0xff;
  return params;
}

FailureOr<Value> dequantize(NodeImporter &n, Value x,
                            const AffineParams &params, int64_t axis) {
  auto type = RankedTensorType::get(
      cast<RankedTensorType>(x.getType()).getShape(), n.builder.getF32Type());
  auto op = DequantizeOp::create(
      n.builder, n.loc, type, x, n.builder.getDenseF32ArrayAttr(params.scales),
      n.builder.getDenseI64ArrayAttr(params.zeroPoints),
      n.builder.getI64IntegerAttr(axis));
  return Value(op);
}

FailureOr<Value> quantize(NodeImporter &n, Value x, const AffineParams &params,
                          int64_t axis) {
  auto type = RankedTensorType::get(
      cast<RankedTensorType>(x.getType()).getShape(), params.storage);
  auto op = QuantizeOp::create(
      n.builder, n.loc, type, x, n.builder.getDenseF32ArrayAttr(params.scales),
      n.builder.getDenseI64ArrayAttr(params.zeroPoints),
      n.builder.getI64IntegerAttr(axis));
  return Value(op);
}

/// The axis of a per-axis parameter set (ONNX default 1), normalised.
FailureOr<int64_t> quantAxis(NodeImporter &n, const AffineParams &params,
                             int64_t rank) {
  if (params.scales.size() <= 1)
    return int64_t(0);
  return n.normalizeAxis(n.getInt("axis", 1), rank);
}

LogicalResult importQuantizeLinear(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  FailureOr<AffineParams> params = readAffine(
      n, 1, 2, IntegerType::get(n.builder.getContext(), 8,
                                IntegerType::Unsigned));
  if (failed(params))
    return failure();
  FailureOr<int64_t> axis = quantAxis(n, *params, n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return single(n, quantize(n, *x, *params, *axis));
}

LogicalResult importDequantizeLinear(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  FailureOr<AffineParams> params =
      readAffine(n, 1, 2, n.inputType(0).getElementType());
  if (failed(params))
    return failure();
  FailureOr<int64_t> axis = quantAxis(n, *params, n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return single(n, dequantize(n, *x, *params, *axis));
}

/// x - zero_point in i32 (for MatMulInteger/ConvInteger operands).
FailureOr<Value> centreInI32(NodeImporter &n, Value x, unsigned zpIndex,
                             int64_t zpAxis) {
  auto i32 = n.builder.getI32Type();
  auto type = cast<RankedTensorType>(x.getType());
  Value wide = n.builder.createOrFold<CastOp>(
      n.loc, RankedTensorType::get(type.getShape(), i32), x);
  Value zp = n.input(zpIndex);
  if (!zp)
    return wide;
  FailureOr<SmallVector<int64_t>> values = n.constantInts(zpIndex, "zero point");
  if (failed(values))
    return failure();
  if (llvm::all_of(*values, [](int64_t v) { return v == 0; }))
    return wide;
  if (type.getElementType().isUnsignedInteger(8))
    for (int64_t &v : *values)
      v &= 0xff;
  SmallVector<int32_t> narrow(values->begin(), values->end());
  SmallVector<int64_t> zpShape;
  if (values->size() > 1) {
    // Per-axis zero point: shape it to broadcast along `zpAxis`.
    zpShape.assign(type.getRank(), 1);
    zpShape[zpAxis] = values->size();
  }
  Value zpConst = ConstantOp::create(
      n.builder, n.loc,
      DenseElementsAttr::get(RankedTensorType::get(zpShape, i32),
                             ArrayRef<int32_t>(narrow)));
  return build<SubOp>(n, wide, zpConst);
}

LogicalResult importMatMulInteger(NodeImporter &n) {
  FailureOr<Value> a = n.requireInput(0), b = n.requireInput(1);
  if (failed(a) || failed(b))
    return failure();
  if (!n.input(2) && !n.input(3))
    return single(n, build<MatMulOp>(n, *a, *b));
  // a_zero_point is per row of A (or scalar); b_zero_point per column of B.
  FailureOr<Value> lhs = centreInI32(n, *a, 2, n.inputType(0).getRank() - 2);
  FailureOr<Value> rhs = centreInI32(n, *b, 3, n.inputType(1).getRank() - 1);
  if (failed(lhs) || failed(rhs))
    return failure();
  return single(n, build<MatMulOp>(n, *lhs, *rhs));
}

LogicalResult importConvInteger(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0), w = n.requireInput(1);
  if (failed(x) || failed(w))
    return failure();
  Value lhs = *x, rhs = *w;
  if (n.input(2) || n.input(3)) {
    FailureOr<Value> cx = centreInI32(n, *x, 2, 1);
    FailureOr<Value> cw = centreInI32(n, *w, 3, 0);
    if (failed(cx) || failed(cw))
      return failure();
    lhs = *cx;
    rhs = *cw;
  }
  NodeImporter conv(n.node, n.label, n.builder, n.loc, n.opset, {lhs, rhs});
  if (failed(importConv(conv)))
    return failure();
  n.results = conv.results;
  return success();
}

LogicalResult importQLinearMatMul(NodeImporter &n) {
  FailureOr<Value> a = n.requireInput(0), b = n.requireInput(3);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<AffineParams> pa = readAffine(n, 1, 2, n.inputType(0).getElementType());
  FailureOr<AffineParams> pb = readAffine(n, 4, 5, n.inputType(3).getElementType());
  FailureOr<AffineParams> py = readAffine(n, 6, 7, n.inputType(0).getElementType());
  if (failed(pa) || failed(pb) || failed(py))
    return failure();
  int64_t rankB = n.inputType(3).getRank();
  FailureOr<Value> fa = dequantize(n, *a, *pa, n.inputType(0).getRank() - 2);
  FailureOr<Value> fb = dequantize(n, *b, *pb, rankB - 1);
  if (failed(fa) || failed(fb))
    return failure();
  FailureOr<Value> y = build<MatMulOp>(n, *fa, *fb);
  if (failed(y))
    return failure();
  if (py->scales.size() != 1)
    return n.emitError() << "per-axis output quantization is not supported";
  return single(n, quantize(n, *y, *py, 0));
}

LogicalResult importQLinearConv(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0), w = n.requireInput(3);
  if (failed(x) || failed(w))
    return failure();
  FailureOr<AffineParams> px = readAffine(n, 1, 2, n.inputType(0).getElementType());
  FailureOr<AffineParams> pw = readAffine(n, 4, 5, n.inputType(3).getElementType());
  FailureOr<AffineParams> py = readAffine(n, 6, 7, n.inputType(0).getElementType());
  if (failed(px) || failed(pw) || failed(py))
    return failure();
  if (px->scales.size() != 1 || py->scales.size() != 1)
    return n.emitError() << "per-axis input/output quantization is not "
                            "supported";
  FailureOr<Value> fx = dequantize(n, *x, *px, 0);
  FailureOr<Value> fw = dequantize(n, *w, *pw, 0);
  if (failed(fx) || failed(fw))
    return failure();
  Value bias;
  if (Value b = n.input(8)) {
    // The int32 bias has scale x_scale * w_scale[c] and zero point 0.
    AffineParams pbias;
    for (float ws : pw->scales)
      pbias.scales.push_back(px->scales[0] * ws);
    pbias.zeroPoints.assign(pbias.scales.size(), 0);
    FailureOr<Value> fb = dequantize(n, b, pbias, 0);
    if (failed(fb))
      return failure();
    bias = *fb;
  }
  NodeImporter conv(n.node, n.label, n.builder, n.loc, n.opset,
                    {*fx, *fw, bias});
  if (failed(importConv(conv)))
    return failure();
  return single(n, quantize(n, conv.results.front(), *py, 0));
}

} // namespace

void mlir::qcc::onnx_import::registerQuantizedImporters(
    llvm::StringMap<OpImporterFn> &table) {
  table["ConvInteger"] = importConvInteger;
  table["DequantizeLinear"] = importDequantizeLinear;
  table["MatMulInteger"] = importMatMulInteger;
  table["QLinearConv"] = importQLinearConv;
  table["QLinearMatMul"] = importQLinearMatMul;
  table["QuantizeLinear"] = importQuantizeLinear;
}
