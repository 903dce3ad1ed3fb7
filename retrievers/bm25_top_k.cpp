#include "retrievers/bm25_top_k.h"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>

namespace kvchain::retrievers {
namespace {

// A bound on a sum of non-negative doubles, whatever order they are added in: the sum in any
// one order, raised past the rounding another order could add.
double safe_bound(double sum) {
  return sum * (1.0 + 1e-12);
}

// Passages a window of block-max MaxScore covers: each window sorts its terms by their bounds
// there, so the window is long enough to pay for that and short enough for its bounds to be
// tight.
constexpr uint32_t kWindow = 4096;

}  // namespace

void TopK::offer(float score, uint32_t passage) {
  const ScoredPassage candidate(score, passage);
  if (!full()) {
    heap_.push_back(candidate);
    std::push_heap(heap_.begin(), heap_.end(), better);
  } else if (better(candidate, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), better);
    heap_.back() = candidate;
    std::push_heap(heap_.begin(), heap_.end(), better);
  }
}

std::vector<ScoredPassage> TopK::sorted() const {
  auto best = heap_;
  std::sort(best.begin(), best.end(), better);
  return best;
}

std::vector<ScoredPassage> exhaustive_top_k(const std::vector<QueryTerm>& terms, int64_t k,
                                            const Bm25Scorer& scorer, const uint8_t* lengths,
                                            std::vector<double>& scores,
                                            std::vector<uint32_t>& touched) {
  for (const auto& term : terms) {
    for (PostingCursor p(term.postings); !p.done(); p.next()) {
      if (scores[p.passage()] == 0.0) touched.push_back(p.passage());
      scores[p.passage()] += scorer.score(term.weight, p.tf(), lengths[p.passage()]);
    }
  }
  TopK best(k);
  for (const auto passage : touched) {
    best.offer(static_cast<float>(scores[passage]), passage);
    scores[passage] = 0.0;
  }
  touched.clear();
  return best.sorted();
}

std::vector<ScoredPassage> max_score_top_k(const std::vector<QueryTerm>& terms, int64_t k,
                                           const Bm25Scorer& scorer, const uint8_t* lengths) {
  const size_t n = terms.size();
  // cursor[i] proposes and looks up term i's passages; exact[i] finds them again, later, for a
  // passage that enters, whose score adds its terms' in their own order.
  std::vector<PostingCursor> cursor, exact;
  cursor.reserve(n);
  exact.reserve(n);
  uint32_t start = UINT32_MAX;  // the window's first passage
  uint32_t last = 0;
  for (const auto& term : terms) {
    cursor.emplace_back(term.postings);
    exact.emplace_back(term.postings);
    if (!cursor.back().done()) start = std::min(start, cursor.back().passage());
    if (term.postings.block_count > 0)
      last = std::max(last, term.postings.blocks[term.postings.block_count - 1].last_passage);
  }
  TopK best(k);
  const auto cannot_enter = [&](double bound_sum) {
    return best.full() && static_cast<float>(safe_bound(bound_sum)) <= best.threshold();
  };
  std::vector<float> bound(n);
  std::vector<size_t> order(n);
  // bounds[j] adds up the lowest j terms' bounds (sized in two steps: GCC 12 takes n + 1 in the
  // constructor for a possible overflow and warns).
  std::vector<double> bounds(1, 0.0);
  bounds.resize(n + 1);
  // A looked-up term's score and the passage it was looked up for (a passage past the query's
  // with none yet), so that no candidate clears them.
  std::vector<double> part(n, 0.0);
  std::vector<uint32_t> part_of(n, UINT32_MAX);
  std::vector<char> proposes(n, 0);              // whether term i proposes passages in the window
  std::vector<double> proposed(kWindow);         // the proposing terms' scores, per passage
  std::array<uint64_t, kWindow / 64> present{};  // the passages some proposing term holds
  // refused[j]: a passage whose score so far is at most this cannot enter with bounds[j] still to
  // add. Below cannot_enter's exact test by a margin far above double rounding, so it refuses
  // only passages that test refuses too; a passage it lets through is tested exactly by offer.
  std::vector<double> refused(n + 1);
  const auto refusals = [&] {
    const double threshold = best.full() ? best.threshold() / (1.0 + 1e-12) : -1.0;
    for (size_t j = 0; j <= n; ++j) {
      refused[j] = best.full() ? threshold - bounds[j] - 1e-9 * (threshold + bounds[j])
                               : -std::numeric_limits<double>::infinity();
    }
  };
  while (start != UINT32_MAX && start <= last) {
    const uint32_t end = start + std::min<uint32_t>(kWindow - 1, UINT32_MAX - 1 - start);
    // Each term's bound in the window, the terms by bound, lowest first.
    for (size_t i = 0; i < n; ++i) {
      bound[i] =
          Bm25Scorer::score_of_impact(terms[i].weight, cursor[i].max_impact_within(start, end));
    }
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return bound[a] < bound[b]; });
    for (size_t j = 0; j < n; ++j) bounds[j + 1] = bounds[j] + bound[order[j]];
    // order[0, lookups) only look up passages; the rest propose them, term at a time over the
    // window (Lucene's MaxScoreBulkScorer): a scatter into the window's scores, not a merge.
    size_t lookups = 0;
    while (lookups < n && cannot_enter(bounds[lookups + 1])) ++lookups;
    for (size_t j = 0; j < n; ++j) proposes[order[j]] = j >= lookups;
    for (size_t j = lookups; j < n; ++j) {
      const auto i = order[j];
      const float weight = terms[i].weight;
      cursor[i].advance(start);
      cursor[i].for_each_through(end, [&](uint32_t passage, uint32_t tf) {
        const uint32_t slot = passage - start;
        const double score = scorer.score(weight, tf, lengths[passage]);
        auto& word = present[slot / 64];
        const uint64_t bit = uint64_t{1} << (slot % 64);
        proposed[slot] = (word & bit) ? proposed[slot] + score : score;
        word |= bit;
      });
    }
    refusals();
    for (uint32_t w = 0; w < present.size(); ++w) {
      // The passages whose proposed scores could enter with every looked-up term's bound, picked
      // without a branch on the score (most fail, unpredictably).
      uint64_t kept = 0;
      for (uint64_t bits = present[w]; bits != 0; bits &= bits - 1) {
        const auto bit = static_cast<uint32_t>(__builtin_ctzll(bits));
        kept |= static_cast<uint64_t>(proposed[w * 64 + bit] > refused[lookups]) << bit;
      }
      present[w] = 0;
      for (; kept != 0; kept &= kept - 1) {
        const uint32_t passage = start + w * 64 + static_cast<uint32_t>(__builtin_ctzll(kept));
        double partial = proposed[passage - start];
        bool entered = true;
        for (size_t j = lookups; j-- > 0;) {
          if (partial <= refused[j + 1]) {
            entered = false;
            break;
          }
          const auto i = order[j];
          if (cursor[i].seek(passage)) {
            part[i] = scorer.score(terms[i].weight, cursor[i].tf(), lengths[passage]);
            part_of[i] = passage;
            partial += part[i];
          }
        }
        if (entered && partial > refused[0]) {
          double score = 0.0;
          for (size_t i = 0; i < n; ++i) {
            if (proposes[i]) {
              if (exact[i].seek(passage))
                score += scorer.score(terms[i].weight, exact[i].tf(), lengths[passage]);
            } else if (part_of[i] == passage) {
              score += part[i];
            }
          }
          best.offer(static_cast<float>(score), passage);
          refusals();
        }
      }
    }
    if (end == UINT32_MAX - 1) break;
    start = end + 1;
  }
  return best.sorted();
}

}  // namespace kvchain::retrievers
