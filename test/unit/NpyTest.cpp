//===- NpyTest.cpp - tests of .npy reading and writing ----------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Expected bytes come from NumPy 1.24 (`numpy.save` output, reproduced
// byte for byte below); malformed files are hand-made.
//
//===----------------------------------------------------------------------===//

#include "qcc/Support/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace mlir::qcc;

namespace {

/// The header numpy.save writes, padded so that the data starts at 128.
std::string numpyHeader(llvm::StringRef dict) {
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(118);
  header += '\0';
  header += dict.str();
  header.append(127 - header.size(), ' ');
  header += '\n';
  return header;
}

template <typename T>
llvm::ArrayRef<char> bytesOf(const std::vector<T> &values) {
  return {reinterpret_cast<const char *>(values.data()),
          values.size() * sizeof(T)};
}

std::string errorOf(llvm::StringRef bytes) {
  llvm::Expected<NpyArray> array = parseNpy(bytes, "test.npy");
  if (array)
    return "";
  return llvm::toString(array.takeError());
}

TEST(NpyTest, SerializesLikeNumpy) {
  std::vector<int32_t> values = {0, 1, 2, 3, 4, 5};
  std::string bytes = serializeNpy(NpyDType::Int32, {2, 3}, bytesOf(values));
  std::string expected = numpyHeader(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }");
  expected.append(bytesOf(values).begin(), bytesOf(values).end());
  EXPECT_EQ(bytes, expected);

  std::vector<float> scalar = {3.5f};
  expected =
      numpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
  expected.append(bytesOf(scalar).begin(), bytesOf(scalar).end());
  EXPECT_EQ(serializeNpy(NpyDType::Float32, {}, bytesOf(scalar)), expected);

  expected =
      numpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }");
  EXPECT_EQ(serializeNpy(NpyDType::Float32, {0}, {}), expected);
}

TEST(NpyTest, ParsesNumpyOutput) {
  std::vector<int32_t> values = {0, 1, 2, 3, 4, 5};
  std::string bytes = numpyHeader(
      "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }");
  bytes.append(bytesOf(values).begin(), bytesOf(values).end());
  llvm::Expected<NpyArray> array = parseNpy(bytes, "x.npy");
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype, NpyDType::Int32);
  EXPECT_EQ(array->shape, (llvm::SmallVector<int64_t>{2, 3}));
  ASSERT_EQ(array->data.size(), 24u);
  EXPECT_EQ(std::memcmp(array->data.data(), values.data(), 24), 0);
}

TEST(NpyTest, RoundTripsEveryDType) {
  struct Case {
    NpyDType dtype;
    llvm::SmallVector<int64_t> shape;
  };
  Case cases[] = {{NpyDType::Float32, {2, 3}},  {NpyDType::Float64, {4}},
                  {NpyDType::Int64, {1, 1, 5}}, {NpyDType::Int32, {}},
                  {NpyDType::Int16, {3, 2}},    {NpyDType::Int8, {7}},
                  {NpyDType::UInt8, {2, 0, 3}}, {NpyDType::Bool, {2, 2}}};
  for (const Case &c : cases) {
    int64_t count = 1;
    for (int64_t d : c.shape)
      count *= d;
    std::vector<char> data(count * getNpyItemSize(c.dtype));
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = c.dtype == NpyDType::Bool ? (i % 3 == 0) : char(i * 37 + 1);
    std::string bytes = serializeNpy(c.dtype, c.shape, data);
    EXPECT_EQ(bytes.size() % 64, data.size() % 64)
        << getNpyDTypeName(c.dtype).str();
    llvm::Expected<NpyArray> array = parseNpy(bytes, "x.npy");
    ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
    EXPECT_EQ(array->dtype, c.dtype);
    EXPECT_EQ(array->shape, c.shape);
    EXPECT_EQ(array->data, data) << getNpyDTypeName(c.dtype).str();
  }
}

TEST(NpyTest, WritesAndReadsFiles) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("qcc-npy-test", "npy", path));
  std::vector<int64_t> values = {-1, 2, -3};
  ASSERT_FALSE(
      static_cast<bool>(writeNpy(path, NpyDType::Int64, {3}, bytesOf(values))));
  llvm::Expected<NpyArray> array = readNpy(path);
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype, NpyDType::Int64);
  EXPECT_EQ(array->getNumElements(), 3);
  EXPECT_EQ(std::memcmp(array->data.data(), values.data(), 24), 0);
  llvm::sys::fs::remove(path);

  llvm::Expected<NpyArray> missing = readNpy(path);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("cannot open"),
            std::string::npos);
}

TEST(NpyTest, NormalisesBooleans) {
  std::string bytes =
      numpyHeader("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }");
  bytes += std::string("\x00\x01\x07", 3);
  llvm::Expected<NpyArray> array = parseNpy(bytes, "b.npy");
  ASSERT_TRUE(static_cast<bool>(array));
  EXPECT_EQ(array->data, (std::vector<char>{0, 1, 1}));
}

TEST(NpyTest, AcceptsHeaderVariants) {
  // Version 2.0 (4-byte length), double quotes, no trailing comma, keys in
  // another order, Python 2 long suffixes.
  std::string dict = "{\"shape\": (2L,), \"fortran_order\": False, "
                     "\"descr\": \"<f8\"}\n";
  std::string bytes("\x93NUMPY\x02\x00", 8);
  bytes += static_cast<char>(dict.size());
  bytes += std::string(3, '\0');
  bytes += dict;
  bytes += std::string(16, '\0');
  llvm::Expected<NpyArray> array = parseNpy(bytes, "v2.npy");
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->dtype, NpyDType::Float64);
  EXPECT_EQ(array->shape, (llvm::SmallVector<int64_t>{2}));
}

TEST(NpyTest, RejectsMalformedFiles) {
  auto header = [](llvm::StringRef dict) { return numpyHeader(dict); };
  struct Case {
    std::string bytes;
    const char *message;
  };
  Case cases[] = {
      {"", "bad magic"},
      {"PK\x03\x04 not numpy", "bad magic"},
      {std::string("\x93NUMPY\x01", 7), "truncated .npy header"},
      {std::string("\x93NUMPY\x01\x00\x70\x00{'descr'", 17),
       "truncated .npy header"},
      {std::string("\x93NUMPY\x04\x00\x00\x00", 10),
       "unsupported .npy format version 4"},
      {header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }") +
           std::string(8, '\0'),
       "Fortran-order arrays are not supported"},
      {header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }") +
           std::string(8, '\0'),
       "unsupported dtype '>f4'"},
      {header("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }") +
           std::string(16, '\0'),
       "unsupported dtype '<c8'"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }") +
           std::string(20, '\0'),
       "truncated data: expected 24 bytes for shape (2, 3) of float32, found "
       "20"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }") +
           std::string(5, '\0'),
       "1 bytes of trailing data"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
       "expected a non-negative dimension"},
      {header("{'descr': '<f4', 'fortran_order': False}"),
       "expected the keys 'descr', 'fortran_order' and 'shape'"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
              "'extra': 1}"),
       "unexpected key 'extra'"},
      {header("['descr', '<f4']"), "expected '{'"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) } x"),
       "trailing characters"},
      {header("{'descr': '<f4', 'fortran_order': maybe, 'shape': (2,), }"),
       "expected True or False"},
      {header("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, "
              "65536, 65536, 65536), }"),
       "array too large"},
  };
  for (const Case &c : cases) {
    std::string error = errorOf(c.bytes);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "expected '" << c.message << "', got '" << error << "'";
    EXPECT_EQ(error.rfind("'test.npy': ", 0), 0u) << error;
  }
}

} // namespace
