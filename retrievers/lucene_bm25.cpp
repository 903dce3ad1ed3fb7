#include "retrievers/lucene_bm25.h"

#include <cmath>

namespace kvchain::retrievers {
namespace {

// Lucene's SmallFloat.longToInt4 / int4ToLong: a 3-bit mantissa with an implicit leading one
// and the shift in the upper bits; values below 8 are stored as they are.
uint32_t to_int4(uint64_t value) {
  int bits = 0;
  while (bits < 64 && (value >> bits) != 0) ++bits;
  if (bits < 4) return static_cast<uint32_t>(value);
  const int shift = bits - 4;
  auto encoded = static_cast<uint32_t>(value >> shift) & 0x07u;
  return encoded | static_cast<uint32_t>(shift + 1) << 3;
}

uint64_t from_int4(uint32_t code) {
  const uint64_t bits = code & 0x07u;
  const int shift = static_cast<int>(code >> 3) - 1;
  return shift < 0 ? bits : (bits | 0x08u) << shift;
}

// 255 minus the code of the largest Java int: the small lengths that get a code of their own.
const uint32_t kExactLengths = 255 - to_int4(0x7fffffffu);

}  // namespace

uint8_t encode_length(uint32_t length) {
  if (length > 0x7fffffffu) length = 0x7fffffffu;
  if (length < kExactLengths) return static_cast<uint8_t>(length);
  return static_cast<uint8_t>(kExactLengths + to_int4(length - kExactLengths));
}

uint32_t decode_length(uint8_t code) {
  if (code < kExactLengths) return code;
  return static_cast<uint32_t>(kExactLengths + from_int4(code - kExactLengths));
}

Bm25Scorer::Bm25Scorer(Bm25Params params, uint64_t doc_count, uint64_t total_terms)
    : doc_count_(doc_count),
      average_length_(doc_count == 0 ? 1.0f
                                     : static_cast<float>(static_cast<double>(total_terms) /
                                                          static_cast<double>(doc_count))) {
  const float k1 = params.k1, b = params.b;
  for (int code = 0; code < 256; ++code) {
    const auto length = static_cast<float>(decode_length(static_cast<uint8_t>(code)));
    norm_inverse_[code] = 1.0f / (k1 * ((1 - b) + b * length / average_length_));
  }
}

float Bm25Scorer::idf(uint64_t doc_freq) const {
  const auto n = static_cast<double>(doc_count_), df = static_cast<double>(doc_freq);
  return static_cast<float>(std::log(1 + (n - df + 0.5) / (df + 0.5)));
}

}  // namespace kvchain::retrievers
