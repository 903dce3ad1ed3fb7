#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kvchain {

// One tensor's entry in a safetensors header: its dtype tag ("F32", "BF16", ...), shape and byte
// range within the data section.
struct SafetensorsEntry {
  std::string dtype;
  std::vector<int64_t> shape;
  size_t begin = 0;  // byte offsets into the data section
  size_t end = 0;
};

// The validated header of a safetensors file: every entry's dtype, shape and offsets checked
// (in bounds, no overlap, no gap, no trailing bytes), so that reads by it cannot go out of
// bounds. It needs no tensor library, which lets the loaders' fuzzing build it alone.
struct SafetensorsHeader {
  std::map<std::string, SafetensorsEntry> entries;
  std::map<std::string, std::string> metadata;
  size_t data_offset = 0;  // where the data section starts in the file
};

// Parses the header of the `size` bytes of a safetensors file at `bytes`; throws an Error naming
// `path` and the tensor or field at fault.
SafetensorsHeader parse_safetensors_header(const unsigned char* bytes, size_t size,
                                           const std::string& path);

// The bytes of one element of a dtype tag; throws an Error naming `where` for an unknown tag.
size_t safetensors_element_size(const std::string& dtype, const std::string& where);

}  // namespace kvchain
