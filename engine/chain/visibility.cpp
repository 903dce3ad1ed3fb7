#include "engine/chain/visibility.h"

#include <algorithm>

#include "engine/io/error.h"

namespace kvchain {

Visibility visibility(const SegmentTag& query, const SegmentTag& key) {
  if (key.role == SegmentRole::kShared || key.member == query.member ||
      key.role == SegmentRole::kOutput) {
    return Visibility::kFull;
  }
  return Visibility::kNone;
}

torch::Tensor build_attention_mask(const std::vector<Segment>& segments, int64_t query_begin,
                                   int64_t query_end, int64_t total) {
  const int64_t rows = query_end - query_begin;
  auto mask = torch::zeros({rows, total}, torch::kBool);
  int64_t covered = 0;
  for (size_t q = 0; q < segments.size(); ++q) {
    const auto& query = segments[q];
    const int64_t begin = std::max(query.begin, query_begin);
    const int64_t end = std::min(query.end, query_end);
    if (begin >= end) continue;
    covered += end - begin;
    auto block_rows = mask.narrow(0, begin - query_begin, end - begin);
    for (size_t k = 0; k <= q; ++k) {
      const auto& key = segments[k];
      auto block = block_rows.narrow(1, key.begin, key.end - key.begin);
      if (k == q) {
        // Row slot r may see key slots up to r.
        block.copy_(
            torch::ones({end - begin, key.end - key.begin}, torch::kBool).tril(begin - key.begin));
      } else if (visibility(query.tag, key.tag) == Visibility::kFull) {
        block.fill_(true);
      }
    }
  }
  if (covered != rows) {
    throw Error("attention mask: query slots [" + std::to_string(query_begin) + ", " +
                std::to_string(query_end) + ") are not all covered by segments");
  }
  return mask.view({1, 1, rows, total});
}

bool sees_everything(const std::vector<Segment>& earlier, const SegmentTag& tag) {
  for (const auto& segment : earlier) {
    if (segment.tag == tag) continue;
    if (visibility(tag, segment.tag) != Visibility::kFull) return false;
  }
  return true;
}

size_t causal_from(const std::vector<Segment>& chain, size_t first_new) {
  size_t from = chain.size();
  while (from > first_new) {
    const auto& segment = chain[from - 1];
    const std::vector<Segment> earlier(chain.begin(), chain.begin() + from - 1);
    const bool after_earlier = std::all_of(
        earlier.begin(), earlier.end(), [&](const Segment& s) { return s.end <= segment.begin; });
    if (!after_earlier || !sees_everything(earlier, segment.tag)) break;
    --from;
  }
  return from;
}

}  // namespace kvchain
