//===- Npy.cpp - read and write NumPy .npy/.npz files -----------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The .npy layout: the magic "\x93NUMPY", a major and a minor version byte,
// the little-endian header length (2 bytes in 1.0, 4 in 2.0 and 3.0), then a
// Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, then the raw elements. An .npz file is a
// zip archive of .npy members.
//
//===----------------------------------------------------------------------===//

#include "qcc/Support/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <optional>

using namespace llvm;
using namespace mlir::qcc;

static constexpr StringLiteral kMagic("\x93NUMPY");

size_t mlir::qcc::getNpyItemSize(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::Float64:
  case NpyDType::Int64:
    return 8;
  case NpyDType::Float32:
  case NpyDType::Int32:
    return 4;
  case NpyDType::Int16:
    return 2;
  case NpyDType::Int8:
  case NpyDType::UInt8:
  case NpyDType::Bool:
    return 1;
  }
  llvm_unreachable("unknown NpyDType");
}

StringRef mlir::qcc::getNpyDTypeName(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::Float32:
    return "float32";
  case NpyDType::Float64:
    return "float64";
  case NpyDType::Int64:
    return "int64";
  case NpyDType::Int32:
    return "int32";
  case NpyDType::Int16:
    return "int16";
  case NpyDType::Int8:
    return "int8";
  case NpyDType::UInt8:
    return "uint8";
  case NpyDType::Bool:
    return "bool";
  }
  llvm_unreachable("unknown NpyDType");
}

/// The `descr` string NumPy writes for `dtype`.
static StringRef getDescr(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::Float32:
    return "<f4";
  case NpyDType::Float64:
    return "<f8";
  case NpyDType::Int64:
    return "<i8";
  case NpyDType::Int32:
    return "<i4";
  case NpyDType::Int16:
    return "<i2";
  case NpyDType::Int8:
    return "|i1";
  case NpyDType::UInt8:
    return "|u1";
  case NpyDType::Bool:
    return "|b1";
  }
  llvm_unreachable("unknown NpyDType");
}

/// Parses a `descr`; '=' (native order) is accepted on little-endian hosts
/// only, which is every host qcc targets.
static std::optional<NpyDType> parseDescr(StringRef descr) {
  if (descr.size() < 3)
    return std::nullopt;
  char order = descr[0];
  StringRef code = descr.drop_front();
  bool little = order == '<' || (order == '=' && llvm::sys::IsLittleEndianHost);
  bool single = order == '|' || order == '<' || order == '=';
  if (little && code == "f4")
    return NpyDType::Float32;
  if (little && code == "f8")
    return NpyDType::Float64;
  if (little && code == "i8")
    return NpyDType::Int64;
  if (little && code == "i4")
    return NpyDType::Int32;
  if (little && code == "i2")
    return NpyDType::Int16;
  if (single && code == "i1")
    return NpyDType::Int8;
  if (single && code == "u1")
    return NpyDType::UInt8;
  if (single && code == "b1")
    return NpyDType::Bool;
  return std::nullopt;
}

int64_t NpyArray::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

/// A minimal parser of the Python dict literal in a .npy header.
class HeaderParser {
public:
  HeaderParser(StringRef text, StringRef name) : text(text), name(name) {}

  Error parse(NpyArray &array);

private:
  Error error(const Twine &what) {
    return createStringError(inconvertibleErrorCode(),
                             "'" + name + "': malformed .npy header: " + what);
  }
  void skipSpace() { text = text.ltrim(" \t\r\n"); }
  bool consume(StringRef token) {
    skipSpace();
    return text.consume_front(token);
  }
  Expected<std::string> parseString();
  Expected<bool> parseBool();
  Error parseShape(SmallVectorImpl<int64_t> &shape);

  StringRef text;
  StringRef name;
};

} // namespace

Expected<std::string> HeaderParser::parseString() {
  skipSpace();
  if (text.empty() || (text.front() != '\'' && text.front() != '"'))
    return error("expected a quoted string");
  char quote = text.front();
  size_t end = text.find(quote, 1);
  if (end == StringRef::npos)
    return error("unterminated string");
  std::string result = text.substr(1, end - 1).str();
  text = text.drop_front(end + 1);
  return result;
}

Expected<bool> HeaderParser::parseBool() {
  if (consume("True"))
    return true;
  if (consume("False"))
    return false;
  return error("expected True or False");
}

Error HeaderParser::parseShape(SmallVectorImpl<int64_t> &shape) {
  if (!consume("("))
    return error("expected a shape tuple");
  while (!consume(")")) {
    skipSpace();
    size_t digits = 0;
    while (digits < text.size() && isDigit(text[digits]))
      ++digits;
    uint64_t dim;
    if (digits == 0 || text.take_front(digits).getAsInteger(10, dim) ||
        dim > (uint64_t(1) << 48))
      return error("expected a non-negative dimension in the shape");
    text = text.drop_front(digits);
    text.consume_front("L"); // Python 2 longs.
    shape.push_back(static_cast<int64_t>(dim));
    if (consume(")"))
      break;
    if (!consume(","))
      return error("expected ',' or ')' in the shape");
  }
  return Error::success();
}

Error HeaderParser::parse(NpyArray &array) {
  if (!consume("{"))
    return error("expected '{'");
  std::optional<std::string> descr;
  std::optional<bool> fortran;
  bool haveShape = false;
  while (!consume("}")) {
    Expected<std::string> key = parseString();
    if (!key)
      return key.takeError();
    if (!consume(":"))
      return error("expected ':' after '" + *key + "'");
    if (*key == "descr") {
      Expected<std::string> value = parseString();
      if (!value)
        return value.takeError();
      descr = *value;
    } else if (*key == "fortran_order") {
      Expected<bool> value = parseBool();
      if (!value)
        return value.takeError();
      fortran = *value;
    } else if (*key == "shape") {
      if (Error err = parseShape(array.shape))
        return err;
      haveShape = true;
    } else {
      return error("unexpected key '" + *key + "'");
    }
    if (consume("}"))
      break;
    if (!consume(","))
      return error("expected ',' or '}'");
  }
  skipSpace();
  if (!text.empty())
    return error("trailing characters after the dictionary");
  if (!descr || !fortran || !haveShape)
    return error("expected the keys 'descr', 'fortran_order' and 'shape'");
  if (*fortran)
    return createStringError(
        inconvertibleErrorCode(),
        "'" + name +
            "': Fortran-order arrays are not supported; save a C-order "
            "array (numpy.ascontiguousarray)");
  std::optional<NpyDType> dtype = parseDescr(*descr);
  if (!dtype)
    return createStringError(
        inconvertibleErrorCode(),
        "'" + name + "': unsupported dtype '" + *descr +
            "' (expected little-endian float32, float64, int64, int32, "
            "int16, int8, uint8 or bool)");
  array.dtype = *dtype;
  return Error::success();
}

Expected<NpyArray> mlir::qcc::parseNpy(StringRef bytes, StringRef name) {
  auto fail = [&](const Twine &what) -> Error {
    return createStringError(inconvertibleErrorCode(),
                             "'" + name + "': " + what);
  };
  if (!bytes.starts_with(kMagic))
    return fail("not a .npy file (bad magic)");
  if (bytes.size() < kMagic.size() + 2)
    return fail("truncated .npy header");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t lengthBytes;
  if (major == 1)
    lengthBytes = 2;
  else if (major == 2 || major == 3)
    lengthBytes = 4;
  else
    return fail(formatv("unsupported .npy format version {0}", major));
  size_t prefix = kMagic.size() + 2 + lengthBytes;
  if (bytes.size() < prefix)
    return fail("truncated .npy header");
  uint64_t headerLength = lengthBytes == 2
                              ? support::endian::read16le(bytes.data() + 8)
                              : support::endian::read32le(bytes.data() + 8);
  if (bytes.size() - prefix < headerLength)
    return fail("truncated .npy header");
  NpyArray array;
  HeaderParser parser(bytes.substr(prefix, headerLength), name);
  if (Error err = parser.parse(array))
    return std::move(err);

  size_t itemSize = getNpyItemSize(array.dtype);
  constexpr uint64_t kMaxElements = uint64_t(1) << 48;
  uint64_t count = 1;
  std::string shapeText;
  for (int64_t d : array.shape) {
    if (d != 0 && count > kMaxElements / static_cast<uint64_t>(d))
      return fail("array too large");
    count *= static_cast<uint64_t>(d);
    shapeText += (shapeText.empty() ? "" : ", ") + std::to_string(d);
  }
  uint64_t dataBytes = count * itemSize;
  StringRef data = bytes.drop_front(prefix + headerLength);
  if (data.size() < dataBytes)
    return fail(formatv("truncated data: expected {0} bytes for shape ({1}) "
                        "of {2}, found {3}",
                        dataBytes, shapeText, getNpyDTypeName(array.dtype),
                        data.size()));
  if (data.size() > dataBytes)
    return fail(formatv("{0} bytes of trailing data after the array",
                        data.size() - dataBytes));
  array.data.assign(data.begin(), data.end());
  if (array.dtype == NpyDType::Bool)
    for (char &c : array.data)
      c = c != 0;
  return array;
}

/// Reads a whole file, with an error naming it.
static Expected<std::unique_ptr<MemoryBuffer>> readFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return createStringError(buffer.getError(),
                             "cannot open '" + path +
                                 "': " + buffer.getError().message());
  return std::move(*buffer);
}

Expected<NpyArray> mlir::qcc::readNpy(StringRef path) {
  Expected<std::unique_ptr<MemoryBuffer>> buffer = readFile(path);
  if (!buffer)
    return buffer.takeError();
  return parseNpy((*buffer)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// .npz (zip) reading
//===----------------------------------------------------------------------===//

namespace {
/// Bounds-checked little-endian reads from a zip archive.
struct ZipReader {
  StringRef bytes;
  bool in(uint64_t offset, uint64_t size) const {
    return offset <= bytes.size() && size <= bytes.size() - offset;
  }
  uint16_t u16(uint64_t offset) const {
    return support::endian::read16le(bytes.data() + offset);
  }
  uint32_t u32(uint64_t offset) const {
    return support::endian::read32le(bytes.data() + offset);
  }
  uint64_t u64(uint64_t offset) const {
    return support::endian::read64le(bytes.data() + offset);
  }
};
} // namespace

Expected<std::vector<NpzEntry>> mlir::qcc::parseNpz(StringRef bytes,
                                                    StringRef name) {
  auto fail = [&](const Twine &what) -> Error {
    return createStringError(inconvertibleErrorCode(),
                             "'" + name + "': " + what);
  };
  ZipReader zip{bytes};
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  constexpr uint32_t kEndSig = 0x06054b50, kEnd64Sig = 0x06064b50,
                     kLocator64Sig = 0x07064b50, kCentralSig = 0x02014b50,
                     kLocalSig = 0x04034b50;
  if (bytes.size() < 22)
    return fail("not an .npz file (too short for a zip archive)");
  std::optional<uint64_t> end;
  uint64_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
  for (uint64_t pos = bytes.size() - 22 + 1; pos-- > lowest;)
    if (zip.u32(pos) == kEndSig) {
      end = pos;
      break;
    }
  if (!end)
    return fail("not an .npz file (no zip end-of-directory record)");
  uint64_t entries = zip.u16(*end + 10);
  uint64_t dirSize = zip.u32(*end + 12);
  uint64_t dirOffset = zip.u32(*end + 16);
  if (entries == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) {
    if (*end < 20 || zip.u32(*end - 20) != kLocator64Sig)
      return fail("malformed zip64 archive (no zip64 locator)");
    uint64_t rec = zip.u64(*end - 20 + 8);
    if (!zip.in(rec, 56) || zip.u32(rec) != kEnd64Sig)
      return fail("malformed zip64 archive (bad zip64 end record)");
    entries = zip.u64(rec + 32);
    dirSize = zip.u64(rec + 40);
    dirOffset = zip.u64(rec + 48);
  }
  if (!zip.in(dirOffset, dirSize))
    return fail("malformed zip archive (central directory out of bounds)");

  std::vector<NpzEntry> result;
  uint64_t pos = dirOffset;
  for (uint64_t i = 0; i < entries; ++i) {
    if (!zip.in(pos, 46) || zip.u32(pos) != kCentralSig)
      return fail("malformed zip archive (bad central directory entry)");
    uint16_t method = zip.u16(pos + 10);
    uint32_t crc = zip.u32(pos + 16);
    uint64_t compressed = zip.u32(pos + 20);
    uint64_t size = zip.u32(pos + 24);
    uint16_t nameLen = zip.u16(pos + 28), extraLen = zip.u16(pos + 30),
             commentLen = zip.u16(pos + 32);
    uint64_t local = zip.u32(pos + 42);
    if (!zip.in(pos + 46, uint64_t(nameLen) + extraLen + commentLen))
      return fail("malformed zip archive (truncated directory entry)");
    StringRef member = bytes.substr(pos + 46, nameLen);
    // Zip64 extra field: the 8-byte values of the saturated header fields.
    uint64_t extra = pos + 46 + nameLen, extraEnd = extra + extraLen;
    while (extra + 4 <= extraEnd) {
      uint16_t id = zip.u16(extra), len = zip.u16(extra + 2);
      if (extra + 4 + len > extraEnd)
        break;
      if (id == 0x0001) {
        uint64_t field = extra + 4, fieldEnd = field + len;
        for (uint64_t *value : {&size, &compressed, &local}) {
          if (*value != 0xFFFFFFFF)
            continue;
          if (field + 8 > fieldEnd)
            return fail("malformed zip64 extra field of '" + member + "'");
          *value = zip.u64(field);
          field += 8;
        }
      }
      extra += 4 + len;
    }
    pos += 46 + uint64_t(nameLen) + extraLen + commentLen;

    if (method != 0)
      return fail("member '" + member +
                  "' is compressed (numpy.savez_compressed); only "
                  "uncompressed archives (numpy.savez) are supported");
    if (compressed != size)
      return fail("malformed zip archive (stored member '" + member +
                  "' has different compressed and uncompressed sizes)");
    if (!zip.in(local, 30) || zip.u32(local) != kLocalSig)
      return fail("malformed zip archive (bad local header of '" + member +
                  "')");
    uint64_t dataStart =
        local + 30 + uint64_t(zip.u16(local + 26)) + zip.u16(local + 28);
    if (!zip.in(dataStart, size))
      return fail("truncated zip archive (member '" + member + "')");
    StringRef data = bytes.substr(dataStart, size);
    if (llvm::crc32(arrayRefFromStringRef(data)) != crc)
      return fail("member '" + member + "' fails its CRC check");
    if (!member.consume_back(".npy"))
      return fail("member '" + member + "' is not an .npy file");
    Expected<NpyArray> array = parseNpy(data, (name + ":" + member).str());
    if (!array)
      return array.takeError();
    result.push_back(NpzEntry{member.str(), std::move(*array)});
  }
  return result;
}

Expected<std::vector<NpzEntry>> mlir::qcc::readNpz(StringRef path) {
  Expected<std::unique_ptr<MemoryBuffer>> buffer = readFile(path);
  if (!buffer)
    return buffer.takeError();
  return parseNpz((*buffer)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

std::string mlir::qcc::serializeNpy(NpyDType dtype, ArrayRef<int64_t> shape,
                                    ArrayRef<char> data) {
  std::string header = "{'descr': '" + getDescr(dtype).str() +
                       "', 'fortran_order': False, 'shape': (";
  for (int64_t d : shape)
    header += std::to_string(d) + ", ";
  if (shape.size() >= 1)
    header.pop_back();
  if (shape.size() > 1)
    header.pop_back();
  header += "), }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes.
  bool v2 = header.size() + 1 + 10 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = alignTo(prefix + header.size() + 1, 64);
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';

  std::string out(kMagic);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  char length[4];
  if (v2) {
    support::endian::write32le(length, header.size());
    out.append(length, 4);
  } else {
    support::endian::write16le(length, header.size());
    out.append(length, 2);
  }
  out += header;
  out.append(data.begin(), data.end());
  return out;
}

Error mlir::qcc::writeNpy(StringRef path, NpyDType dtype,
                          ArrayRef<int64_t> shape, ArrayRef<char> data) {
  std::string bytes = serializeNpy(dtype, shape, data);
  Error err = writeToOutput(path, [&](raw_ostream &os) {
    os << bytes;
    return Error::success();
  });
  if (err)
    return createStringError(inconvertibleErrorCode(),
                             "cannot write '" + path +
                                 "': " + toString(std::move(err)));
  return Error::success();
}
