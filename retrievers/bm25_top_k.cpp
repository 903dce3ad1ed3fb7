#include "retrievers/bm25_top_k.h"

#include <algorithm>
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
  std::vector<PostingCursor> cursor;
  cursor.reserve(n);
  uint32_t start = UINT32_MAX;  // the window's first passage
  for (const auto& term : terms) {
    cursor.emplace_back(term.postings);
    if (!cursor.back().done()) start = std::min(start, cursor.back().passage());
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
  std::vector<double> part(n, 0.0);  // the candidate's score per term, in the terms' order
  uint32_t last = 0;
  for (const auto& term : terms) {
    if (term.postings.block_count > 0)
      last = std::max(last, term.postings.blocks[term.postings.block_count - 1].last_passage);
  }
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
    // order[0, lookups) only look up passages; the rest propose them.
    size_t lookups = 0;
    while (lookups < n && cannot_enter(bounds[lookups + 1])) ++lookups;
    for (size_t j = lookups; j < n; ++j) cursor[order[j]].advance(start);
    while (lookups < n) {
      uint32_t passage = UINT32_MAX;
      for (size_t j = lookups; j < n; ++j) {
        const auto i = order[j];
        if (!cursor[i].done()) passage = std::min(passage, cursor[i].passage());
      }
      if (passage > end) break;
      double partial = 0.0;
      for (size_t j = lookups; j < n; ++j) {
        const auto i = order[j];
        if (!cursor[i].done() && cursor[i].passage() == passage) {
          part[i] = scorer.score(terms[i].weight, cursor[i].tf(), lengths[passage]);
          partial += part[i];
          cursor[i].next();
        }
      }
      bool entered = true;
      for (size_t j = lookups; j-- > 0;) {
        if (cannot_enter(partial + bounds[j + 1])) {
          entered = false;
          break;
        }
        const auto i = order[j];
        cursor[i].advance(passage);
        if (!cursor[i].done() && cursor[i].passage() == passage) {
          part[i] = scorer.score(terms[i].weight, cursor[i].tf(), lengths[passage]);
          partial += part[i];
        }
      }
      if (entered && !cannot_enter(partial)) {
        double score = 0.0;
        for (size_t i = 0; i < n; ++i) score += part[i];
        best.offer(static_cast<float>(score), passage);
      }
      std::fill(part.begin(), part.end(), 0.0);
      while (lookups < n && cannot_enter(bounds[lookups + 1])) ++lookups;
    }
    if (end == UINT32_MAX - 1) break;
    start = end + 1;
  }
  return best.sorted();
}

}  // namespace kvchain::retrievers
