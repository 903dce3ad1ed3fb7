#include "engine/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain {
namespace {

// The format caps the header at 100 MB; a larger length means a corrupt or foreign file.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

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

SafetensorsEntry parse_entry(const nlohmann::json& info, const std::string& where) {
  if (!info.is_object()) throw Error(where + ": header entry is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(key)) throw Error(where + ": header entry lacks '" + key + "'");
  }
  SafetensorsEntry entry;
  if (!info["dtype"].is_string()) throw Error(where + ": dtype is not a string");
  entry.dtype = parse_dtype(info["dtype"].get<std::string>(), where);
  const auto& shape = info["shape"];
  if (!shape.is_array()) throw Error(where + ": shape is not a list");
  uint64_t numel = 1;
  for (const auto& dim : shape) {
    if (!dim.is_number_unsigned()) throw Error(where + ": shape has a non-integer or negative dim");
    const uint64_t d = dim.get<uint64_t>();
    if (d != 0 && numel > (uint64_t{1} << 62) / d) throw Error(where + ": shape overflows");
    numel *= d;
    entry.shape.push_back(static_cast<int64_t>(d));
  }
  const auto& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    throw Error(where + ": data_offsets must be two non-negative integers");
  }
  entry.begin = offsets[0].get<uint64_t>();
  entry.end = offsets[1].get<uint64_t>();
  if (entry.end < entry.begin) throw Error(where + ": data_offsets end before they begin");
  const uint64_t expected = numel * torch::elementSize(entry.dtype);
  if (entry.end - entry.begin != expected) {
    throw Error(where + ": shape " + shape_string(entry.shape) + " of " +
                info["dtype"].get<std::string>() + " needs " + std::to_string(expected) +
                " bytes but data_offsets span " + std::to_string(entry.end - entry.begin));
  }
  return entry;
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_RDONLY);
  if (fd < 0) throw Error(path_ + ": cannot open file");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(path_ + ": cannot stat file");
  }
  file_size_ = static_cast<size_t>(st.st_size);
  if (file_size_ < 8) {
    ::close(fd);
    throw Error(path_ + ": file is " + std::to_string(file_size_) +
                " bytes, too short for a safetensors header (truncated?)");
  }
  map_ = ::mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw Error(path_ + ": cannot memory-map file");
  }
  try {
    const auto* bytes = static_cast<const unsigned char*>(map_);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
    if (header_len > kMaxHeaderBytes || header_len > file_size_ - 8) {
      throw Error(path_ + ": header length " + std::to_string(header_len) +
                  " points past the end of the file (" + std::to_string(file_size_) +
                  " bytes; truncated or not a safetensors file?)");
    }
    const char* header_begin = static_cast<const char*>(map_) + 8;
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(header_begin, header_begin + header_len);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(path_ + ": header is not valid JSON: " + e.what());
    }
    if (!header.is_object()) throw Error(path_ + ": header is not a JSON object");
    data_ = header_begin + header_len;
    const size_t data_size = file_size_ - 8 - header_len;

    std::vector<std::pair<size_t, std::string>> order;
    for (const auto& [name, info] : header.items()) {
      if (name == "__metadata__") {
        if (!info.is_object()) throw Error(path_ + ": __metadata__ is not an object");
        for (const auto& [key, value] : info.items()) {
          if (!value.is_string()) throw Error(path_ + ": __metadata__." + key + " is not a string");
          metadata_[key] = value.get<std::string>();
        }
        continue;
      }
      const std::string where = path_ + ": tensor '" + name + "'";
      SafetensorsEntry entry = parse_entry(info, where);
      if (entry.end > data_size) {
        throw Error(where + ": data_offsets [" + std::to_string(entry.begin) + ", " +
                    std::to_string(entry.end) + "] point past the end of the data (" +
                    std::to_string(data_size) + " bytes; file truncated?)");
      }
      order.emplace_back(entry.begin, name);
      entries_.emplace(name, std::move(entry));
    }
    // The format lays tensors out back to back; anything else is corruption.
    std::sort(order.begin(), order.end());
    size_t cursor = 0;
    std::string previous;
    for (const auto& [begin, name] : order) {
      const auto& entry = entries_.at(name);
      if (begin < cursor) {
        throw Error(path_ + ": tensor '" + name + "' overlaps tensor '" + previous + "'");
      }
      if (begin > cursor) {
        throw Error(path_ + ": gap of " + std::to_string(begin - cursor) +
                    " bytes before tensor '" + name + "'");
      }
      cursor = std::max(cursor, entry.end);
      previous = name;
    }
    if (cursor != data_size) {
      throw Error(path_ + ": " + std::to_string(data_size - cursor) +
                  " trailing bytes after the last tensor");
    }
  } catch (...) {
    ::munmap(map_, file_size_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(map_, file_size_);
}

torch::Tensor SafetensorsFile::load(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw Error(path_ + ": no tensor named '" + name + "'");
  const auto& entry = it->second;
  auto out = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.dtype));
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
