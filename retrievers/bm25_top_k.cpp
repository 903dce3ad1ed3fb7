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

// The first posting at or after `from` whose passage is at least `passage`: doubling steps,
// then a binary search in the last step (short moves stay short).
const Posting* gallop(const Posting* from, const Posting* end, uint32_t passage) {
  size_t step = 1;
  const Posting* low = from;
  while (low + step < end && (low + step)->passage < passage) {
    low += step;
    step *= 2;
  }
  const Posting* high = std::min(low + step, end);
  return std::lower_bound(low, high, passage,
                          [](const Posting& p, uint32_t value) { return p.passage < value; });
}

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
    for (const auto* p = term.begin; p != term.end; ++p) {
      if (scores[p->passage] == 0.0) touched.push_back(p->passage);
      scores[p->passage] += scorer.score(term.weight, p->tf, lengths[p->passage]);
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
  // The terms by bound, lowest first; bounds[j] adds up the lowest j.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<float> bound(n);
  for (size_t i = 0; i < n; ++i) {
    bound[i] = Bm25Scorer::score_of_impact(terms[i].weight, terms[i].max_impact);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return bound[a] < bound[b]; });
  std::vector<double> bounds(n + 1, 0.0);
  for (size_t j = 0; j < n; ++j) bounds[j + 1] = bounds[j] + bound[order[j]];

  std::vector<const Posting*> cursor(n);
  for (size_t i = 0; i < n; ++i) cursor[i] = terms[i].begin;
  std::vector<double> part(n, 0.0);  // the candidate's score per term, in the terms' order
  TopK best(k);
  // order[0, lookups) only look up passages; the rest propose them.
  size_t lookups = 0;
  const auto cannot_enter = [&](double bound_sum) {
    return best.full() && static_cast<float>(safe_bound(bound_sum)) <= best.threshold();
  };
  while (lookups < n) {
    uint32_t passage = UINT32_MAX;
    for (size_t j = lookups; j < n; ++j) {
      const auto i = order[j];
      if (cursor[i] != terms[i].end) passage = std::min(passage, cursor[i]->passage);
    }
    if (passage == UINT32_MAX) break;
    double partial = 0.0;
    for (size_t j = lookups; j < n; ++j) {
      const auto i = order[j];
      if (cursor[i] != terms[i].end && cursor[i]->passage == passage) {
        part[i] = scorer.score(terms[i].weight, cursor[i]->tf, lengths[passage]);
        partial += part[i];
        ++cursor[i];
      }
    }
    bool entered = true;
    for (size_t j = lookups; j-- > 0;) {
      if (cannot_enter(partial + bounds[j + 1])) {
        entered = false;
        break;
      }
      const auto i = order[j];
      cursor[i] = gallop(cursor[i], terms[i].end, passage);
      if (cursor[i] != terms[i].end && cursor[i]->passage == passage) {
        part[i] = scorer.score(terms[i].weight, cursor[i]->tf, lengths[passage]);
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
  return best.sorted();
}

}  // namespace kvchain::retrievers
