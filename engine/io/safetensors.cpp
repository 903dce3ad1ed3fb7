#include "engine/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain {
namespace {

const std::vector<std::pair<std::string, torch::ScalarType>>& dtype_table() {
  static const std::vector<std::pair<std::string, torch::ScalarType>> table = {
      {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
      {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
      {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
      {"BOOL", torch::kBool}};
  return table;
}

torch::ScalarType parse_dtype(const std::string& name, const std::string& where) {
  for (const auto& [tag, dtype] : dtype_table()) {
    if (tag == name) return dtype;
  }
  throw Error(where + ": unsupported dtype '" + name + "'");
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)), file_(path_) {
  // The header's dtype tags are the ones dtype_table maps, so every entry loads; a file too
  // short for a header (or empty: nothing mapped) is refused by the parser before it reads.
  header_ = parse_safetensors_header(file_.data(), file_.size(), path_);
  data_ = reinterpret_cast<const char*>(file_.data()) + header_.data_offset;
}

torch::Tensor SafetensorsFile::load(const std::string& name) const {
  auto it = header_.entries.find(name);
  if (it == header_.entries.end()) throw Error(path_ + ": no tensor named '" + name + "'");
  const auto& entry = it->second;
  auto out =
      torch::empty(entry.shape, torch::TensorOptions().dtype(parse_dtype(entry.dtype, path_)));
  std::memcpy(out.data_ptr(), data_ + entry.begin, entry.end - entry.begin);
  return out;
}

std::string safetensors_dtype_name(torch::ScalarType dtype) {
  for (const auto& [tag, type] : dtype_table()) {
    if (type == dtype) return tag;
  }
  throw Error(std::string("safetensors cannot store dtype ") + c10::toString(dtype));
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  size_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (header.contains(name)) throw Error(path + ": duplicate tensor name '" + name + "'");
    auto cpu = tensor.detach().to(torch::kCPU).contiguous();
    const size_t nbytes = cpu.numel() * cpu.element_size();
    header[name] = {{"dtype", safetensors_dtype_name(cpu.scalar_type())},
                    {"shape", cpu.sizes().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    contiguous.push_back(std::move(cpu));
  }
  std::string header_text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  AtomicFileWriter writer(path);
  auto& out = writer.stream();
  const uint64_t header_len = header_text.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((header_len >> (8 * i)) & 0xff));
  out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
  for (const auto& t : contiguous) {
    out.write(static_cast<const char*>(t.data_ptr()),
              static_cast<std::streamsize>(t.numel() * t.element_size()));
  }
  writer.commit();
}

void require_finite(const torch::Tensor& tensor, const std::string& where,
                    const std::string& name) {
  if (!tensor.is_floating_point() || torch::isfinite(tensor).all().item<bool>()) return;
  const auto bad = (~torch::isfinite(tensor)).sum().item<int64_t>();
  throw Error(where + ": tensor '" + name + "' holds " + std::to_string(bad) +
              " NaN or infinite value(s)");
}

}  // namespace kvchain
