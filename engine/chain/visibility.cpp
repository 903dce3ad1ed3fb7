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
  // Filled in place, row by row: a decode step builds one each token, and a libtorch op a block
  // cost more than the whole row.
  auto mask = torch::zeros({rows, total}, torch::kBool);
  bool* visible = mask.data_ptr<bool>();
  int64_t covered = 0;
  for (size_t q = 0; q < segments.size(); ++q) {
    const auto& query = segments[q];
    const int64_t begin = std::max(query.begin, query_begin);
    const int64_t end = std::min(query.end, query_end);
    if (begin >= end) continue;
    covered += end - begin;
    for (size_t k = 0; k <= q; ++k) {
      const auto& key = segments[k];
      if (key.begin < 0 || key.begin > key.end || key.end > total) {
        throw Error("attention mask: segment slots [" + std::to_string(key.begin) + ", " +
                    std::to_string(key.end) + ") lie outside the " + std::to_string(total) +
                    " key slots");
      }
      const bool own = k == q;
      if (!own && visibility(query.tag, key.tag) != Visibility::kFull) continue;
      for (int64_t slot = begin; slot < end; ++slot) {
        // A slot of its own segment sees the keys up to itself.
        const int64_t last = own ? std::min(key.end, slot + 1) : key.end;
        if (last > key.begin) {
          std::fill(visible + (slot - query_begin) * total + key.begin,
                    visible + (slot - query_begin) * total + last, true);
        }
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
