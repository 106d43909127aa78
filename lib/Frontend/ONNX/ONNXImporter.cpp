//===- ONNXImporter.cpp - ONNX model to qcc dialect -------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Walks a GraphProto in order, turning initializers into qcc.constant, graph
// inputs into function arguments (shapes fixed by --shape) and nodes into qcc
// ops through the operator table of OpImporters.cpp. Malformed models are
// diagnosed, never trusted: every name is looked up, every tensor's byte
// count checked, every shape bounded.
//
//===----------------------------------------------------------------------===//

#include "qcc/Frontend/ONNX/ONNXImporter.h"
#include "NodeImporter.h"
#include "ParseText.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::onnx_import;

/// Oldest and newest default-domain opsets the importer accepts.
static constexpr int64_t kMinOpset = 11;
static constexpr int64_t kMaxOpset = 21;
/// Upper bound on the element count of any tensor (2^40): beyond it a shape
/// is certainly corrupt and would overflow size computations.
static constexpr int64_t kMaxElements = int64_t(1) << 40;

Type mlir::qcc::onnx_import::convertElementType(MLIRContext *ctx,
                                                int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(ctx);
  case onnx::TensorProto::UINT8:
    return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case onnx::TensorProto::INT8:
    return IntegerType::get(ctx, 8);
  case onnx::TensorProto::INT32:
    return IntegerType::get(ctx, 32);
  case onnx::TensorProto::INT64:
    return IntegerType::get(ctx, 64);
  case onnx::TensorProto::BOOL:
    return IntegerType::get(ctx, 1);
  default:
    return {};
  }
}

std::string mlir::qcc::onnx_import::dataTypeName(int32_t dataType) {
  if (onnx::TensorProto::DataType_IsValid(dataType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(dataType));
  return "<invalid " + std::to_string(dataType) + ">";
}

FailureOr<DenseElementsAttr>
mlir::qcc::onnx_import::convertTensorProto(MLIRContext &context,
                                           const onnx::TensorProto &tensor,
                                           Location loc) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' stores its data in an external file, which "
                             "qcc does not read";
  int32_t dataType = tensor.data_type();
  Type elementType = convertElementType(&context, dataType);
  if (!elementType)
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' has unsupported element type "
                          << dataTypeName(dataType);
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && count > kMaxElements / d))
      return emitError(loc) << "tensor '" << tensor.name()
                            << "' has an invalid or too large shape";
    shape.push_back(d);
    count *= d;
  }
  auto type = RankedTensorType::get(shape, elementType);
  unsigned width = elementType.getIntOrFloatBitWidth();
  auto mismatch = [&](int64_t found) {
    return emitError(loc) << "tensor '" << tensor.name() << "' holds " << found
                          << " values, but its shape " << formatShape(shape)
                          << " needs " << count;
  };

  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    int64_t bytesPerElement = std::max(1u, width / 8);
    if (static_cast<int64_t>(raw.size()) != count * bytesPerElement)
      return mismatch(static_cast<int64_t>(raw.size()) / bytesPerElement);
    if (width == 1) {
      SmallVector<bool> bits;
      for (char c : raw)
        bits.push_back(c != 0);
      return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
    }
    // ONNX raw data is little-endian, like every host qcc runs on.
    return DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(raw.data(), raw.size()));
  }

  switch (dataType) {
  case onnx::TensorProto::FLOAT: {
    if (tensor.float_data_size() != count)
      return mismatch(tensor.float_data_size());
    SmallVector<float> data(tensor.float_data().begin(),
                            tensor.float_data().end());
    return DenseElementsAttr::get(type, ArrayRef<float>(data));
  }
  case onnx::TensorProto::INT64: {
    if (tensor.int64_data_size() != count)
      return mismatch(tensor.int64_data_size());
    SmallVector<int64_t> data(tensor.int64_data().begin(),
                              tensor.int64_data().end());
    return DenseElementsAttr::get(type, ArrayRef<int64_t>(data));
  }
  default: {
    // INT32, INT8, UINT8 and BOOL travel in int32_data.
    if (tensor.int32_data_size() != count)
      return mismatch(tensor.int32_data_size());
    SmallVector<APInt> data;
    for (int32_t v : tensor.int32_data())
      data.push_back(APInt(width, static_cast<uint64_t>(v),
                           /*isSigned=*/true, /*implicitTrunc=*/true));
    return DenseElementsAttr::get(type, data);
  }
  }
}

namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, StringRef path,
                const ONNXImportOptions &options)
      : context(context), path(path), options(options), builder(&context) {}

  FailureOr<OwningOpRef<ModuleOp>> import(const onnx::ModelProto &model);

private:
  /// The model file: the location of the graph as a whole (its function,
  /// its return, errors about several nodes). Not a NameLoc, which
  /// diagnostics would report as an ONNX node (NodeDiagnostics.h).
  Location graphLoc() { return FileLineColLoc::get(&context, path, 0, 0); }
  Location locFor(StringRef name) {
    return NameLoc::get(StringAttr::get(&context, name),
                        FileLineColLoc::get(&context, path, 0, 0));
  }
  static std::string nodeLabel(const onnx::NodeProto &node, int index) {
    return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                               : node.name();
  }

  LogicalResult checkUnsupported(const onnx::GraphProto &graph);
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &info);
  FailureOr<DenseElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                             Location loc);
  LogicalResult define(StringRef name, Value value, Location loc);
  LogicalResult checkDeclaredType(const onnx::ValueInfoProto &info,
                                  RankedTensorType computed);
  LogicalResult importNode(const onnx::NodeProto &node, int index);

  MLIRContext &context;
  std::string path;
  const ONNXImportOptions &options;
  OpBuilder builder;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
};

} // namespace

LogicalResult GraphImporter::checkUnsupported(const onnx::GraphProto &graph) {
  const llvm::StringMap<OpImporterFn> &table = getOpImporters();
  // Op type -> node names, in first-seen order.
  std::vector<std::pair<std::string, SmallVector<std::string>>> unsupported;
  llvm::StringMap<size_t> indexOf;
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    std::string key = defaultDomain ? node.op_type()
                                    : node.domain() + "::" + node.op_type();
    if (defaultDomain && table.count(node.op_type()))
      continue;
    auto [it, inserted] = indexOf.try_emplace(key, unsupported.size());
    if (inserted)
      unsupported.push_back({key, {}});
    unsupported[it->second].second.push_back(
        node.name().empty() ? "#" + std::to_string(index) : node.name());
  }
  if (unsupported.empty())
    return success();
  InFlightDiagnostic diag = emitError(graphLoc())
                            << "unsupported ONNX operators: ";
  bool first = true;
  for (auto &[op, nodes] : unsupported) {
    diag << (first ? "" : "; ") << op << " (node"
         << (nodes.size() > 1 ? "s " : " ");
    for (size_t i = 0; i < std::min<size_t>(nodes.size(), 5); ++i)
      diag << (i ? ", " : "") << "'" << nodes[i] << "'";
    if (nodes.size() > 5)
      diag << " and " << nodes.size() - 5 << " more";
    diag << ")";
    first = false;
  }
  return failure();
}

FailureOr<RankedTensorType>
GraphImporter::inputType(const onnx::ValueInfoProto &info) {
  Location loc = locFor(info.name());
  if (!info.type().has_tensor_type())
    return emitError(loc) << "graph input '" << info.name()
                          << "' is not a tensor";
  const onnx::TypeProto::Tensor &tensorType = info.type().tensor_type();
  Type elementType = convertElementType(&context, tensorType.elem_type());
  if (!elementType)
    return emitError(loc) << "graph input '" << info.name()
                          << "' has unsupported element type "
                          << dataTypeName(tensorType.elem_type());

  SmallVector<int64_t> shape;
  const ShapeSpec *spec = nullptr;
  for (const ShapeSpec &s : options.shapes)
    if (s.name == info.name())
      spec = &s;
  bool hasShape = tensorType.has_shape();
  if (spec) {
    if (hasShape && tensorType.shape().dim_size() !=
                        static_cast<int>(spec->dims.size()))
      return emitError(loc)
             << "--shape " << info.name() << "=" << formatShape(spec->dims)
             << " has rank " << spec->dims.size() << " but the model declares "
             << "rank " << tensorType.shape().dim_size();
    for (auto [i, d] : llvm::enumerate(spec->dims)) {
      if (!hasShape)
        break;
      const auto &dim = tensorType.shape().dim(i);
      if (dim.has_dim_value() && dim.dim_value() != d)
        return emitError(loc) << "--shape " << info.name() << " sets dim " << i
                              << " to " << d << " but the model fixes it to "
                              << dim.dim_value();
    }
    shape.assign(spec->dims.begin(), spec->dims.end());
  } else {
    if (!hasShape)
      return emitError(loc) << "graph input '" << info.name()
                            << "' has no shape; give one with --shape "
                            << info.name() << "=D1xD2x...";
    for (auto [i, dim] : llvm::enumerate(tensorType.shape().dim())) {
      if (dim.has_dim_value() && dim.dim_value() > 0) {
        shape.push_back(dim.dim_value());
        continue;
      }
      if (dim.has_dim_value())
        return emitError(loc) << "graph input '" << info.name() << "' has "
                              << (dim.dim_value() == 0 ? "a zero-size"
                                                       : "a negative")
                              << " dimension at index " << i
                              << " (qcc needs positive dimensions)";
      std::string symbol =
          dim.has_dim_param() ? "'" + dim.dim_param() + "'" : "(unnamed)";
      return emitError(loc) << "graph input '" << info.name()
                            << "' has symbolic dimension " << symbol
                            << " at index " << i << "; fix it with --shape "
                            << info.name() << "=D1xD2x...";
    }
  }
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && elements > kMaxElements / d))
      return emitError(loc) << "graph input '" << info.name() << "' shape "
                            << formatShape(shape) << " is too large";
    elements *= d;
  }
  return RankedTensorType::get(shape, elementType);
}

FailureOr<DenseElementsAttr>
GraphImporter::convertTensor(const onnx::TensorProto &tensor, Location loc) {
  return convertTensorProto(context, tensor, loc);
}

LogicalResult GraphImporter::checkDeclaredType(const onnx::ValueInfoProto &info,
                                               RankedTensorType computed) {
  if (!info.type().has_tensor_type())
    return success();
  const onnx::TypeProto::Tensor &declared = info.type().tensor_type();
  Location loc = locFor(info.name());
  if (declared.elem_type() != onnx::TensorProto::UNDEFINED) {
    Type elementType = convertElementType(&context, declared.elem_type());
    if (elementType != computed.getElementType())
      return emitError(loc) << "graph output '" << info.name()
                            << "' is declared "
                            << dataTypeName(declared.elem_type())
                            << " but computes " << computed;
  }
  if (!declared.has_shape())
    return success();
  const onnx::TensorShapeProto &shape = declared.shape();
  bool mismatch = shape.dim_size() != computed.getRank();
  for (int i = 0; !mismatch && i < shape.dim_size(); ++i)
    mismatch = shape.dim(i).has_dim_value() &&
               shape.dim(i).dim_value() != computed.getDimSize(i);
  if (mismatch)
    return emitError(loc) << "graph output '" << info.name()
                          << "' has a declared shape that differs from the "
                             "computed "
                          << computed;
  return success();
}

LogicalResult GraphImporter::define(StringRef name, Value value,
                                    Location loc) {
  if (name.empty())
    return success();
  if (!values.try_emplace(name, value).second)
    return emitError(loc) << "value '" << name << "' is defined twice";
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        int index) {
  std::string label = nodeLabel(node, index);
  Location loc = locFor(label);
  SmallVector<Value> inputs;
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      inputs.push_back(Value());
      continue;
    }
    auto it = values.find(name);
    if (it == values.end())
      return emitError(loc)
             << "node '" << label << "' (" << node.op_type() << "): uses '"
             << name
             << "', which no earlier node, input or initializer defines (the "
                "graph has a cycle, is not topologically sorted, or lacks an "
                "initializer)";
    inputs.push_back(it->second);
  }
  NodeImporter importer(node, label, builder, loc, opset, std::move(inputs));
  OpImporterFn fn = getOpImporters().lookup(node.op_type());
  if (failed(fn(importer)))
    return failure();
  for (auto [i, name] : llvm::enumerate(node.output())) {
    if (name.empty())
      continue;
    if (i >= importer.results.size() || !importer.results[i])
      return importer.emitError()
             << "output " << i << " ('" << name << "') is not supported";
    if (failed(define(name, importer.results[i], loc)))
      return failure();
  }
  return success();
}

FailureOr<OwningOpRef<ModuleOp>>
GraphImporter::import(const onnx::ModelProto &model) {
  Location modelLoc = FileLineColLoc::get(&context, path, 0, 0);
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
  // Unsupported operators first: that list is what a user needs to know
  // about a model, whatever its opset.
  const onnx::GraphProto &graph = model.graph();
  if (failed(checkUnsupported(graph)))
    return failure();
  if (opset == 0)
    return emitError(modelLoc) << "model imports no default-domain opset";
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(modelLoc) << "opset " << opset
                               << " is not supported (qcc supports opsets "
                               << kMinOpset << " to " << kMaxOpset << ")";

  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  builder.setInsertionPointToEnd(module->getBody());

  // Graph inputs that are not initializers become function arguments.
  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &init : graph.initializer())
    initializerNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initializerNames.contains(info.name()))
      continue;
    FailureOr<RankedTensorType> type = inputType(info);
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    argNames.push_back(info.name());
  }
  for (const ShapeSpec &spec : options.shapes)
    if (!llvm::is_contained(argNames, spec.name))
      return emitError(modelLoc) << "--shape names '" << spec.name
                                 << "', which is not a graph input";

  auto func = func::FuncOp::create(builder, graphLoc(), "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "qcc.name", builder.getStringAttr(name));
    if (failed(define(name, body->getArgument(i), locFor(name))))
      return failure();
  }

  for (const onnx::TensorProto &init : graph.initializer()) {
    Location loc = locFor(init.name());
    FailureOr<DenseElementsAttr> value = convertTensor(init, loc);
    if (failed(value))
      return failure();
    if (failed(define(init.name(), ConstantOp::create(builder, loc, *value),
                      loc)))
      return failure();
  }

  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    auto it = values.find(info.name());
    if (it == values.end())
      return emitError(locFor(info.name()))
             << "graph output '" << info.name() << "' is never defined";
    auto type = cast<RankedTensorType>(it->second.getType());
    if (failed(checkDeclaredType(info, type)))
      return failure();
    results.push_back(it->second);
    resultTypes.push_back(type);
  }
  if (results.empty())
    return emitError(modelLoc) << "the graph has no outputs";
  func::ReturnOp::create(builder, graphLoc(), results);
  func.setType(builder.getFunctionType(argTypes, resultTypes));
  for (auto [i, info] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "qcc.name", builder.getStringAttr(info.name()));

  if (failed(verify(*module)))
    return failure();
  return module;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qcc::importONNXModelFromBuffer(MLIRContext &context, StringRef path,
                                     StringRef bytes,
                                     const ONNXImportOptions &options) {
  context.loadDialect<QccDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  onnx::ModelProto model;
  if (llvm::sys::path::extension(path) == ".onnxtext") {
    // Drop `//` comment lines (lit RUN lines live in the model file).
    std::string text;
    SmallVector<StringRef> lines;
    bytes.split(lines, '\n');
    for (StringRef line : lines)
      if (!line.ltrim().starts_with("//"))
        text += line.str() + "\n";
    std::string error = parseONNXText(model, text.c_str());
    if (!error.empty())
      return emitError(fileLoc) << "cannot parse ONNX text: " << error;
  } else {
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
      return emitError(fileLoc) << "model file is larger than 2 GiB";
    if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return emitError(fileLoc)
             << "not a valid ONNX model (protobuf parse failed; is the file "
                "truncated or not ONNX?)";
  }
  if (!model.has_graph())
    return emitError(fileLoc) << "the model has no graph";
  GraphImporter importer(context, path, options);
  return importer.import(model);
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qcc::importONNXModel(MLIRContext &context, StringRef path,
                           const ONNXImportOptions &options) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file)
    return emitError(FileLineColLoc::get(&context, path, 0, 0))
           << "cannot read '" << path << "': " << file.getError().message();
  return importONNXModelFromBuffer(context, path, (*file)->getBuffer(),
                                   options);
}
