#include "engine/io/safetensors_header.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain {
namespace {

// The format caps the header at 100 MB; a larger length means a corrupt or foreign file.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

constexpr std::pair<const char*, size_t> kElementSizes[] = {
    {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
    {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};

SafetensorsEntry parse_entry(const nlohmann::json& info, const std::string& where) {
  if (!info.is_object()) throw Error(where + ": header entry is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(key)) throw Error(where + ": header entry lacks '" + key + "'");
  }
  SafetensorsEntry entry;
  if (!info["dtype"].is_string()) throw Error(where + ": dtype is not a string");
  entry.dtype = info["dtype"].get<std::string>();
  const auto element_size = safetensors_element_size(entry.dtype, where);
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
  const uint64_t expected = numel * element_size;
  if (entry.end - entry.begin != expected) {
    throw Error(where + ": shape " + shape_string(entry.shape) + " of " + entry.dtype + " needs " +
                std::to_string(expected) + " bytes but data_offsets span " +
                std::to_string(entry.end - entry.begin));
  }
  return entry;
}

// The format lays tensors out back to back; anything else is corruption.
void check_layout(const SafetensorsHeader& header, size_t data_size, const std::string& path) {
  std::vector<std::pair<size_t, std::string>> order;
  for (const auto& [name, entry] : header.entries) order.emplace_back(entry.begin, name);
  std::sort(order.begin(), order.end());
  size_t cursor = 0;
  std::string previous;
  for (const auto& [begin, name] : order) {
    if (begin < cursor) {
      throw Error(path + ": tensor '" + name + "' overlaps tensor '" + previous + "'");
    }
    if (begin > cursor) {
      throw Error(path + ": gap of " + std::to_string(begin - cursor) + " bytes before tensor '" +
                  name + "'");
    }
    cursor = header.entries.at(name).end;
    previous = name;
  }
  if (cursor != data_size) {
    throw Error(path + ": " + std::to_string(data_size - cursor) +
                " trailing bytes after the last tensor");
  }
}

}  // namespace

size_t safetensors_element_size(const std::string& dtype, const std::string& where) {
  for (const auto& [tag, size] : kElementSizes) {
    if (dtype == tag) return size;
  }
  throw Error(where + ": unsupported dtype '" + dtype + "'");
}

SafetensorsHeader parse_safetensors_header(const unsigned char* bytes, size_t size,
                                           const std::string& path) {
  if (size < 8) {
    throw Error(path + ": file is " + std::to_string(size) +
                " bytes, too short for a safetensors header (truncated?)");
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > kMaxHeaderBytes || header_len > size - 8) {
    throw Error(path + ": header length " + std::to_string(header_len) +
                " points past the end of the file (" + std::to_string(size) +
                " bytes; truncated or not a safetensors file?)");
  }
  const auto* header_begin = reinterpret_cast<const char*>(bytes) + 8;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header_begin, header_begin + header_len);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number out of range
    throw Error(path + ": header is not valid JSON: " + e.what());
  }
  if (!json.is_object()) throw Error(path + ": header is not a JSON object");
  SafetensorsHeader header;
  header.data_offset = 8 + header_len;
  const size_t data_size = size - header.data_offset;
  for (const auto& [name, info] : json.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) throw Error(path + ": __metadata__ is not an object");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) throw Error(path + ": __metadata__." + key + " is not a string");
        header.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = path + ": tensor '" + name + "'";
    auto entry = parse_entry(info, where);
    if (entry.end > data_size) {
      throw Error(where + ": data_offsets [" + std::to_string(entry.begin) + ", " +
                  std::to_string(entry.end) + "] point past the end of the data (" +
                  std::to_string(data_size) + " bytes; file truncated?)");
    }
    header.entries.emplace(name, std::move(entry));
  }
  check_layout(header, data_size, path);
  return header;
}

}  // namespace kvchain
