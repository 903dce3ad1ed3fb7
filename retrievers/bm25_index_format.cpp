#include "retrievers/bm25_index_format.h"

#include <zlib.h>

#include <algorithm>

namespace kvchain::retrievers {

uint32_t crc32_update(uint32_t crc, const void* data, size_t size) {
  const auto* bytes = static_cast<const Bytef*>(data);
  // zlib takes 32-bit lengths.
  while (size > 0) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = static_cast<uint32_t>(::crc32(crc, bytes, chunk));
    bytes += chunk;
    size -= chunk;
  }
  return crc;
}

}  // namespace kvchain::retrievers
