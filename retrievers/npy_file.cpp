#include "retrievers/npy_file.h"

#include <cstring>
#include <regex>

#include "engine/io/error.h"

namespace kvchain::retrievers {
namespace {

constexpr size_t kHeaderBytes = 128;   // holds any two int64 dimensions
constexpr size_t kPreambleBytes = 10;  // magic, version 1.0, uint16 dict length

}  // namespace

NpyWriter::NpyWriter(const std::string& path, int64_t cols) : file_(path), cols_(cols) {
  file_.stream() << header();
}

void NpyWriter::append(const torch::Tensor& rows) {
  const auto data = rows.to(torch::kCPU, torch::kFloat32).contiguous();
  file_.stream().write(reinterpret_cast<const char*>(data.data_ptr<float>()),
                       static_cast<std::streamsize>(data.numel() * sizeof(float)));
  rows_ += data.size(0);
}

void NpyWriter::commit() {
  file_.stream().seekp(0);
  file_.stream() << header();
  file_.commit();
}

std::string NpyWriter::header() const {
  auto dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows_) + ", " +
              std::to_string(cols_) + "), }";
  dict.resize(kHeaderBytes - kPreambleBytes - 1, ' ');
  dict += '\n';
  const auto length = static_cast<uint16_t>(dict.size());
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(length >> 8);
  return out + dict;
}

MappedNpy::MappedNpy(const std::string& path) : file_(path) {
  const auto* bytes = file_.data();
  const auto size = file_.size();
  if (size < kPreambleBytes || std::memcmp(bytes, "\x93NUMPY\x01\x00", 8) != 0) {
    throw Error(path + ": not a NumPy .npy file of version 1.0");
  }
  const size_t dict_length = bytes[8] | (bytes[9] << 8);
  if (kPreambleBytes + dict_length > size) throw Error(path + ": its header runs past the file");
  const std::string dict(reinterpret_cast<const char*>(bytes) + kPreambleBytes, dict_length);
  std::smatch shape;
  static const std::regex kDict(
      R"(^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\), \}\s*$)");
  if (!std::regex_match(dict, shape, kDict)) {
    throw Error(path + ": not a float32 matrix in C order (header " + dict + ")");
  }
  rows_ = std::stoll(shape[1]);
  cols_ = std::stoll(shape[2]);
  const auto offset = kPreambleBytes + dict_length;
  if (static_cast<double>(rows_) * static_cast<double>(cols_) * sizeof(float) !=
      static_cast<double>(size - offset)) {
    throw Error(path + ": holds " + std::to_string(size - offset) + " bytes of data, not " +
                std::to_string(rows_) + " x " + std::to_string(cols_) + " floats");
  }
  data_ = reinterpret_cast<const float*>(bytes + offset);
}

}  // namespace kvchain::retrievers
