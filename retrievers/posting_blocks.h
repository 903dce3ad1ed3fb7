#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kvchain::retrievers {

// A term's postings are stored in blocks of up to kBlockSize, each coded by frame of reference
// (bit packing): a byte with the bit width of its largest gap, a byte with that of its largest
// term frequency less one, then the gaps between its passages (the first from the block
// before's last passage, or from -1), less one, then the term frequencies less one, each
// packed at its width. A value is one unaligned load and a shift, without a branch. A block's
// entry in the block table gives its last passage and its largest impact
// (Bm25Scorer::impact), so a search skips a block, or a range of passages, without decoding it.
constexpr uint32_t kBlockSize = 128;

struct Posting {
  uint32_t passage;
  uint32_t tf;
};

struct PostingBlock {
  uint64_t offset;  // into the posting bytes
  uint32_t last_passage;
  float max_impact;
};

// Appends `postings` (passages ascending, after `previous`, or from the start where `previous`
// is -1) to `bytes` in the block coding.
void encode_block(const Posting* postings, uint32_t count, int64_t previous,
                  std::vector<uint8_t>& bytes);

// Decodes `count` postings from [begin, end), after `previous`, into passages and tfs; throws
// kvchain::Error if the block does not fill [begin, end) exactly, a width passes 32 bits, or a
// passage or term frequency passes 2^32. Decoding reads up to 8 bytes past a block's end;
// bm25.idx always has the block table and the header after its posting bytes.
void decode_block(const uint8_t* begin, const uint8_t* end, uint32_t count, int64_t previous,
                  uint32_t* passages, uint32_t* tfs);

// One term's blocks, as the index maps them.
struct TermPostings {
  const PostingBlock* blocks;  // blocks[0, block_count)
  uint64_t block_count;
  uint64_t count;        // postings
  const uint8_t* bytes;  // the posting bytes, which blocks' offsets index
};

// Walks a term's postings in passage order, decoding a block only when a posting in it is
// read. Without checks: the index checked every block when it was opened.
class PostingCursor {
 public:
  explicit PostingCursor(const TermPostings& term);
  bool done() const { return block_ == term_.block_count; }
  uint32_t passage() const { return passages_[index_]; }
  // One posting's term frequency is unpacked alone: a lookup reads few of a block's.
  uint32_t tf() const { return tfs_decoded_ ? tfs_[index_] : tf_of(index_); }
  void next() {
    if (++index_ == size_) load(block_ + 1);
  }
  // Moves to the first posting whose passage is at least `target` (never backwards).
  void advance(uint32_t target) {
    if (done() || passages_[index_] >= target) return;
    if (term_.blocks[block_].last_passage < target) {
      load(block_after(target));
      if (done()) return;
    }
    while (passages_[index_] < target) ++index_;
  }
  // advance(target), then whether the term occurs in passage `target`.
  bool seek(uint32_t target) {
    advance(target);
    return !done() && passages_[index_] == target;
  }
  // Calls visit(passage, tf) for each posting up to passage `last`, in order, and leaves the
  // cursor on the first past it.
  template <class Visit>
  void for_each_through(uint32_t last, Visit&& visit) {
    while (!done() && passages_[index_] <= last) {
      if (!tfs_decoded_) decode_tfs();
      const bool whole = term_.blocks[block_].last_passage <= last;
      uint32_t i = index_;
      for (; i < size_ && (whole || passages_[i] <= last); ++i) visit(passages_[i], tfs_[i]);
      index_ = i;
      if (index_ == size_) load(block_ + 1);
    }
  }
  // The largest impact of the term's postings in passages [first, last], bounded by the blocks
  // that may hold them, without decoding a block or moving the cursor (0 where it has none).
  // Successive calls must not move `first` backwards.
  float max_impact_within(uint32_t first, uint32_t last);

 private:
  void load(uint64_t block);
  void decode_tfs();
  uint32_t tf_of(uint32_t index) const;
  // The first block, past the current one, whose last passage is at least `target`.
  uint64_t block_after(uint32_t target) const;
  TermPostings term_;
  uint64_t block_ = 0;
  uint32_t index_ = 0;
  uint32_t size_ = 0;
  const uint8_t* tf_bytes_ = nullptr;  // the block's term frequencies, decoded when first read
  uint32_t tf_bits_ = 0;
  bool tfs_decoded_ = false;
  uint64_t shallow_ = 0;  // the first block max_impact_within last looked at
  std::array<uint32_t, kBlockSize> passages_{};
  std::array<uint32_t, kBlockSize> tfs_{};
};

}  // namespace kvchain::retrievers
