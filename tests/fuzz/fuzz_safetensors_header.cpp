// A safetensors file's bytes: refused with a kvchain::Error or read as a header whose every
// tensor lies within the data, back to back, with the bytes its dtype and shape need.
#include <cstdlib>

#include "engine/io/error.h"
#include "engine/io/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto header = kvchain::parse_safetensors_header(data, size, "fuzz");
    size_t total = 0;
    for (const auto& [name, entry] : header.entries) {
      size_t numel = 1;
      for (const auto dim : entry.shape) numel *= static_cast<size_t>(dim);
      if (entry.end - entry.begin != numel * kvchain::safetensors_element_size(entry.dtype, name)) {
        std::abort();
      }
      total += entry.end - entry.begin;
    }
    if (header.data_offset + total != size) std::abort();
  } catch (const kvchain::Error&) {
  }
  return 0;
}
