#include "retrievers/posting_blocks.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/io/error.h"

namespace kvchain::retrievers {
namespace {

// The bits `value` needs: 0 for 0.
uint32_t bit_width(uint32_t value) {
  uint32_t bits = 0;
  while (value != 0) {
    ++bits;
    value >>= 1;
  }
  return bits;
}

uint64_t packed_bytes(uint32_t count, uint32_t bits) {
  return (static_cast<uint64_t>(count) * bits + 7) / 8;
}

// Appends `count` values of `bits` bits each, least significant bit first.
void pack(const uint32_t* values, uint32_t count, uint32_t bits, std::vector<uint8_t>& bytes) {
  uint64_t buffer = 0;
  uint32_t held = 0;
  for (uint32_t i = 0; i < count; ++i) {
    buffer |= static_cast<uint64_t>(values[i]) << held;
    held += bits;
    while (held >= 8) {
      bytes.push_back(static_cast<uint8_t>(buffer));
      buffer >>= 8;
      held -= 8;
    }
  }
  if (held > 0) bytes.push_back(static_cast<uint8_t>(buffer));
}

// The i-th value of `bits` bits from `packed`: one unaligned 8-byte load, so it may read up to 8
// bytes past the packed values (a block's reader guarantees them).
inline uint32_t unpack(const uint8_t* packed, uint32_t bits, uint32_t i) {
  const uint64_t position = static_cast<uint64_t>(i) * bits;
  uint64_t word = 0;
  std::memcpy(&word, packed + position / 8, sizeof(word));
  return static_cast<uint32_t>((word >> (position % 8)) & ((uint64_t{1} << bits) - 1));
}

}  // namespace

void encode_block(const Posting* postings, uint32_t count, int64_t previous,
                  std::vector<uint8_t>& bytes) {
  uint32_t gaps[kBlockSize], tfs[kBlockSize];
  uint32_t gap_or = 0, tf_or = 0;
  for (uint32_t i = 0; i < count; ++i) {
    gaps[i] = static_cast<uint32_t>(postings[i].passage - previous - 1);
    tfs[i] = postings[i].tf - 1;
    previous = postings[i].passage;
    gap_or |= gaps[i];
    tf_or |= tfs[i];
  }
  const uint32_t gap_bits = bit_width(gap_or), tf_bits = bit_width(tf_or);
  bytes.push_back(static_cast<uint8_t>(gap_bits));
  bytes.push_back(static_cast<uint8_t>(tf_bits));
  pack(gaps, count, gap_bits, bytes);
  pack(tfs, count, tf_bits, bytes);
}

void decode_block(const uint8_t* begin, const uint8_t* end, uint32_t count, int64_t previous,
                  uint32_t* passages, uint32_t* tfs) {
  const auto refuse = [](const std::string& what) { throw Error("a posting block " + what); };
  const auto size = static_cast<uint64_t>(end - begin);
  if (size < 2) refuse("ends early");
  const uint32_t gap_bits = begin[0], tf_bits = begin[1];
  if (gap_bits > 32 || tf_bits > 32) refuse("has a bit width over 32");
  const auto gap_bytes = packed_bytes(count, gap_bits), tf_bytes = packed_bytes(count, tf_bits);
  if (2 + gap_bytes + tf_bytes > size) refuse("ends early");
  if (2 + gap_bytes + tf_bytes < size) refuse("holds bytes past its postings");
  for (uint32_t i = 0; i < count; ++i) {
    const int64_t passage = previous + 1 + unpack(begin + 2, gap_bits, i);
    if (passage > UINT32_MAX) refuse("names a passage past 2^32");
    passages[i] = static_cast<uint32_t>(passage);
    previous = passage;
    const uint32_t tf = unpack(begin + 2 + gap_bytes, tf_bits, i);
    if (tf == UINT32_MAX) refuse("holds a term frequency past 2^32");
    tfs[i] = tf + 1;
  }
}

PostingCursor::PostingCursor(const TermPostings& term) : term_(term) {
  if (term_.block_count > 0) load(0);
}

void PostingCursor::load(uint64_t block) {
  block_ = block;
  index_ = 0;
  tfs_decoded_ = false;
  if (done()) return;
  const bool last = block + 1 == term_.block_count;
  size_ = last ? static_cast<uint32_t>(term_.count - block * kBlockSize) : kBlockSize;
  const uint8_t* at = term_.bytes + term_.blocks[block].offset;
  const uint32_t gap_bits = at[0];
  tf_bits_ = at[1];
  tf_bytes_ = at + 2 + packed_bytes(size_, gap_bits);
  // The passage before the block's first, as unsigned arithmetic wraps it: -1 for a term's first.
  uint32_t passage = block == 0 ? UINT32_MAX : term_.blocks[block - 1].last_passage;
  for (uint32_t i = 0; i < size_; ++i) {
    passage += unpack(at + 2, gap_bits, i) + 1;
    passages_[i] = passage;
  }
}

void PostingCursor::decode_tfs() {
  for (uint32_t i = 0; i < size_; ++i) tfs_[i] = tf_of(i);
  tfs_decoded_ = true;
}

uint32_t PostingCursor::tf_of(uint32_t index) const {
  return unpack(tf_bytes_, tf_bits_, index) + 1;
}

uint64_t PostingCursor::block_after(uint32_t target) const {
  // Doubling steps over the block table, then a binary search within the last step.
  uint64_t low = block_ + 1, step = 1;
  while (low + step <= term_.block_count && term_.blocks[low + step - 1].last_passage < target) {
    low += step;
    step *= 2;
  }
  const auto* found = std::lower_bound(
      term_.blocks + low, term_.blocks + std::min(low + step, term_.block_count), target,
      [](const PostingBlock& b, uint32_t value) { return b.last_passage < value; });
  return static_cast<uint64_t>(found - term_.blocks);
}

float PostingCursor::max_impact_within(uint32_t first, uint32_t last) {
  while (shallow_ < term_.block_count && term_.blocks[shallow_].last_passage < first) ++shallow_;
  float most = 0.0f;
  // Block b holds passages after block b - 1's last, up to its own last.
  for (auto b = shallow_; b < term_.block_count; ++b) {
    most = std::max(most, term_.blocks[b].max_impact);
    if (term_.blocks[b].last_passage >= last) break;
  }
  return most;
}

}  // namespace kvchain::retrievers
