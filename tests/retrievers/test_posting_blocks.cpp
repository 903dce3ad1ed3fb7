// The compressed postings of bm25.idx: random posting lists round-trip through the block coding,
// the cursor walks and advances as a search over the plain list would, and damaged blocks are
// refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "retrievers/posting_blocks.h"
#include "tests/support/test_support.h"

namespace kvchain::retrievers {
namespace {

// A term's postings coded as bm25.idx stores them, followed by the 16 bytes the decoder may
// read past a block's end.
struct CodedTerm {
  std::vector<PostingBlock> blocks;
  std::vector<uint8_t> bytes;
  size_t size = 0;  // the coded bytes, without the padding
  TermPostings view(uint64_t count) const {
    return {blocks.data(), blocks.size(), count, bytes.data()};
  }
};

CodedTerm code(const std::vector<Posting>& list) {
  CodedTerm term;
  for (size_t first = 0; first < list.size(); first += kBlockSize) {
    const auto count = static_cast<uint32_t>(std::min<size_t>(kBlockSize, list.size() - first));
    term.blocks.push_back(
        {term.bytes.size(), list[first + count - 1].passage, static_cast<float>(first)});
    encode_block(list.data() + first, count,
                 first == 0 ? int64_t{-1} : int64_t{list[first - 1].passage}, term.bytes);
  }
  term.size = term.bytes.size();
  term.bytes.resize(term.size + 16);
  return term;
}

// Ascending passages with gaps from 0 to near 2^32 and term frequencies up to 2^32 - 1.
std::vector<Posting> random_list(std::mt19937_64& random, size_t size) {
  std::vector<Posting> list;
  int64_t passage = -1;
  for (size_t i = 0; i < size; ++i) {
    const auto kind = random() % 10;
    const int64_t gap = kind == 0   ? 0
                        : kind == 1 ? static_cast<int64_t>(random() % 100000)
                                    : 1 + random() % 200;
    if (passage + 1 + gap > UINT32_MAX - 1) break;
    passage += 1 + gap;
    const uint32_t tf = random() % 50 == 0 ? UINT32_MAX : 1 + static_cast<uint32_t>(random() % 9);
    list.push_back({static_cast<uint32_t>(passage), tf});
  }
  return list;
}

TEST(PostingBlocks, RandomListsRoundTrip) {
  std::mt19937_64 random(5);
  for (const size_t size : {1ul, 127ul, 128ul, 129ul, 1000ul, 5000ul}) {
    const auto list = random_list(random, size);
    const auto term = code(list);
    std::vector<Posting> walked;
    for (PostingCursor cursor(term.view(list.size())); !cursor.done(); cursor.next())
      walked.push_back({cursor.passage(), cursor.tf()});
    ASSERT_EQ(walked.size(), list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      ASSERT_EQ(walked[i].passage, list[i].passage) << i;
      ASSERT_EQ(walked[i].tf, list[i].tf) << i;
    }
    // The checked decoder reads each block as the cursor does.
    std::vector<uint32_t> passages(kBlockSize), tfs(kBlockSize);
    for (size_t b = 0; b < term.blocks.size(); ++b) {
      const auto end = b + 1 < term.blocks.size() ? term.blocks[b + 1].offset : term.size;
      const auto count = std::min<size_t>(kBlockSize, list.size() - b * kBlockSize);
      decode_block(term.bytes.data() + term.blocks[b].offset, term.bytes.data() + end,
                   static_cast<uint32_t>(count),
                   b == 0 ? int64_t{-1} : int64_t{term.blocks[b - 1].last_passage}, passages.data(),
                   tfs.data());
      EXPECT_EQ(passages[count - 1], term.blocks[b].last_passage);
      EXPECT_EQ(tfs[0], list[b * kBlockSize].tf);
    }
  }
}

// advance(target) lands where std::lower_bound over the plain list does, for targets in
// increasing order with short and long moves; max_impact_within(target, target + width) is the
// largest impact among the blocks that may hold a passage of that range. Here a block's impact
// is the number of its first posting, so the largest is the last block the range reaches.
TEST(PostingBlocks, AdvanceAndBlockBoundsFollowTheList) {
  std::mt19937_64 random(9);
  const auto list = random_list(random, 3000);
  const auto term = code(list);
  const auto block_of = [&](std::vector<Posting>::const_iterator posting) {
    return static_cast<size_t>(posting - list.begin()) / kBlockSize;
  };
  for (int trial = 0; trial < 20; ++trial) {
    PostingCursor cursor(term.view(list.size()));
    PostingCursor shallow(term.view(list.size()));
    uint32_t target = 0;
    while (true) {
      const auto at_or_after = [&](uint32_t passage) {
        return std::lower_bound(list.begin(), list.end(), passage,
                                [](const Posting& p, uint32_t value) { return p.passage < value; });
      };
      const auto expected = at_or_after(target);
      const uint32_t width = static_cast<uint32_t>(random() % 5000);
      const uint32_t last = target + std::min<uint32_t>(width, UINT32_MAX - 1 - target);
      // The blocks reach from the one of the first posting at or after `target` to the one of the
      // first posting at or after `last` (or the final block): a block holds the passages after
      // the block before's last, up to its own last.
      float bound = 0.0f;
      if (expected != list.end()) {
        const auto reach = at_or_after(last);
        bound =
            term.blocks[reach == list.end() ? term.blocks.size() - 1 : block_of(reach)].max_impact;
      }
      EXPECT_EQ(shallow.max_impact_within(target, last), bound) << target << " to " << last;
      cursor.advance(target);
      if (expected == list.end()) {
        EXPECT_TRUE(cursor.done());
        break;
      }
      ASSERT_FALSE(cursor.done());
      ASSERT_EQ(cursor.passage(), expected->passage);
      ASSERT_EQ(cursor.tf(), expected->tf);
      const uint64_t step = trial % 2 == 0 ? random() % 50 : random() % 2000000;
      if (target + step + 1 > UINT32_MAX) break;
      target += static_cast<uint32_t>(step) + (random() % 3 == 0 ? 0 : 1);
    }
  }
}

TEST(PostingBlocks, DamagedBlocksAreRefused) {
  const auto coded = [](const std::vector<Posting>& list) {
    std::vector<uint8_t> bytes;
    encode_block(list.data(), static_cast<uint32_t>(list.size()), -1, bytes);
    return bytes;
  };
  const auto bytes = coded({{3, 1}, {300, 2}, {70000, 5}});
  std::vector<uint32_t> passages(3), tfs(3);
  const auto decode = [&](std::vector<uint8_t> b, uint32_t count, int64_t previous = -1) {
    const auto size = b.size();
    b.resize(size + 16);
    return test::error_message([&] {
      decode_block(b.data(), b.data() + size, count, previous, passages.data(), tfs.data());
    });
  };
  EXPECT_EQ(decode(bytes, 3), "");
  EXPECT_EQ(passages, (std::vector<uint32_t>{3, 300, 70000}));
  EXPECT_EQ(tfs, (std::vector<uint32_t>{1, 2, 5}));
  auto truncated = bytes;
  truncated.pop_back();
  EXPECT_NE(decode(truncated, 3).find("ends early"), std::string::npos);
  EXPECT_NE(decode({}, 3).find("ends early"), std::string::npos);
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_NE(decode(longer, 3).find("holds bytes past its postings"), std::string::npos);
  EXPECT_NE(decode(bytes, 3, UINT32_MAX - 1).find("names a passage past 2^32"), std::string::npos);
  // A term frequency of 0 is stored as 2^32 - 1 (its value less one, wrapped).
  EXPECT_NE(decode(coded({{3, 1}, {4, 0}}), 2).find("term frequency past 2^32"), std::string::npos);
  auto wide = bytes;
  wide[0] = 33;
  EXPECT_NE(decode(wide, 3).find("bit width over 32"), std::string::npos);
}

}  // namespace
}  // namespace kvchain::retrievers
