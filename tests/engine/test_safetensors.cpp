// The safetensors reader and writer: round trips, and a clear error for each kind of bad file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "engine/io/safetensors.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using ::testing::HasSubstr;

// A raw safetensors file: 8-byte little-endian header length, header JSON, data bytes.
void write_raw(const std::string& path, const std::string& header, const std::string& data,
               std::optional<uint64_t> declared_length = {}) {
  uint64_t length = declared_length.value_or(header.size());
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xff));
  out << header << data;
}

std::string one_tensor_header(const std::string& dtype, const std::string& shape, int begin,
                              int end) {
  return R"({"w":{"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":[)" +
         std::to_string(begin) + "," + std::to_string(end) + "]}}";
}

TEST(Safetensors, RoundTripsEveryFloatDtypeAndMetadata) {
  test::TempDir dir;
  const auto path = dir.file("t.safetensors");
  auto base = torch::randn({3, 5});
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"f32", base},
      {"bf16", base.to(torch::kBFloat16)},
      {"f16", base.to(torch::kFloat16)},
      {"i64", torch::arange(7)},
      {"scalar", torch::tensor(2.5)},
      {"strided", base.t()},  // non-contiguous input must be written in logical order
  };
  write_safetensors(path, tensors, {{"format", "pt"}});
  SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  ASSERT_EQ(file.entries().size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    auto loaded = file.load(name);
    EXPECT_EQ(loaded.scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(loaded.equal(tensor)) << name;
  }
  EXPECT_EQ(safetensors_dtype_name(torch::kBFloat16), "BF16");
}

TEST(Safetensors, HeaderIsPaddedToEightBytes) {
  test::TempDir dir;
  write_safetensors(dir.file("t.safetensors"), {{"x", torch::ones({1})}});
  std::ifstream in(dir.file("t.safetensors"), std::ios::binary);
  uint64_t length = 0;
  in.read(reinterpret_cast<char*>(&length), 8);
  EXPECT_EQ(length % 8, 0u);
}

TEST(Safetensors, RejectsFileShorterThanItsLengthPrefix) {
  test::TempDir dir;
  std::ofstream(dir.file("short.safetensors")) << "abc";
  EXPECT_THAT(test::error_message([&] { SafetensorsFile f(dir.file("short.safetensors")); }),
              HasSubstr("short.safetensors: file is 3 bytes"));
}

TEST(Safetensors, RejectsHeaderLengthPastEndOfFile) {
  test::TempDir dir;
  const auto header = one_tensor_header("F32", "[1]", 0, 4);
  write_raw(dir.file("h.safetensors"), header, "abcd", 1000);
  EXPECT_THAT(test::error_message([&] { SafetensorsFile f(dir.file("h.safetensors")); }),
              HasSubstr("header length 1000"));
}

TEST(Safetensors, RejectsTruncatedData) {
  test::TempDir dir;
  write_safetensors(dir.file("t.safetensors"), {{"weight", torch::ones({4, 4})}});
  const auto size = std::filesystem::file_size(dir.file("t.safetensors"));
  std::filesystem::resize_file(dir.file("t.safetensors"), size - 10);
  auto message = test::error_message([&] { SafetensorsFile f(dir.file("t.safetensors")); });
  EXPECT_THAT(message, HasSubstr("t.safetensors"));
  EXPECT_THAT(message, HasSubstr("'weight'"));
  EXPECT_THAT(message, HasSubstr("past the end"));
}

TEST(Safetensors, RejectsOverlappingTensors) {
  test::TempDir dir;
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  write_raw(dir.file("o.safetensors"), header, std::string(12, '\0'));
  EXPECT_THAT(test::error_message([&] { SafetensorsFile f(dir.file("o.safetensors")); }),
              HasSubstr("tensor 'b' overlaps tensor 'a'"));
}

TEST(Safetensors, RejectsShapeThatDisagreesWithByteCount) {
  test::TempDir dir;
  write_raw(dir.file("s.safetensors"), one_tensor_header("F32", "[3]", 0, 8), std::string(8, 0));
  auto message = test::error_message([&] { SafetensorsFile f(dir.file("s.safetensors")); });
  EXPECT_THAT(message, HasSubstr("'w'"));
  EXPECT_THAT(message, HasSubstr("shape [3]"));
}

TEST(Safetensors, RejectsUnknownDtypeAndBadJson) {
  test::TempDir dir;
  write_raw(dir.file("d.safetensors"), one_tensor_header("F12", "[1]", 0, 4), std::string(4, 0));
  EXPECT_THAT(test::error_message([&] { SafetensorsFile f(dir.file("d.safetensors")); }),
              HasSubstr("unsupported dtype 'F12'"));
  write_raw(dir.file("j.safetensors"), "{not json", "");
  EXPECT_THAT(test::error_message([&] { SafetensorsFile f(dir.file("j.safetensors")); }),
              HasSubstr("header is not valid JSON"));
}

TEST(Safetensors, RejectsGapsAndTrailingBytes) {
  test::TempDir dir;
  write_raw(dir.file("g.safetensors"), one_tensor_header("F32", "[1]", 4, 8), std::string(8, 0));
  EXPECT_THAT(test::error_message([&] { SafetensorsFile f(dir.file("g.safetensors")); }),
              HasSubstr("gap of 4"));
  write_raw(dir.file("t.safetensors"), one_tensor_header("F32", "[1]", 0, 4), std::string(9, 0));
  EXPECT_THAT(test::error_message([&] { SafetensorsFile f(dir.file("t.safetensors")); }),
              HasSubstr("5 trailing bytes"));
}

TEST(Safetensors, NamesTheMissingTensorOnLoad) {
  test::TempDir dir;
  write_safetensors(dir.file("t.safetensors"), {{"x", torch::ones({1})}});
  SafetensorsFile file(dir.file("t.safetensors"));
  EXPECT_THAT(test::error_message([&] { file.load("y"); }), HasSubstr("no tensor named 'y'"));
}

}  // namespace
}  // namespace kvchain
