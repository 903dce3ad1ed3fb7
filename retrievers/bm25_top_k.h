#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "retrievers/bm25_index_format.h"
#include "retrievers/lucene_bm25.h"
#include "retrievers/posting_blocks.h"

namespace kvchain::retrievers {

// A passage's score and number.
using ScoredPassage = std::pair<float, uint32_t>;

// The k best passages offered: higher scores first, equal scores in corpus order (Lucene breaks
// ties by document number).
class TopK {
 public:
  explicit TopK(int64_t k) : k_(k) {}
  void offer(float score, uint32_t passage);
  bool full() const { return static_cast<int64_t>(heap_.size()) == k_; }
  // The k-th best score (when full): a passage offered after the others needs more.
  float threshold() const { return heap_.front().first; }
  std::vector<ScoredPassage> sorted() const;

 private:
  static bool better(const ScoredPassage& a, const ScoredPassage& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  }
  int64_t k_;
  std::vector<ScoredPassage> heap_;  // worst first
};

// One query term: its postings (passages ascending, in blocks that carry their largest impact)
// and its weight (the query's count of it times its idf).
struct QueryTerm {
  TermPostings postings;
  float weight;
};

// The k best passages for `terms`, each passage's score its terms' scores added in double in
// the order `terms` has and rounded to float once, as Lucene does.
//
// exhaustive_top_k scores every posting of every term; `scores` (one per passage, all zero) and
// `touched` are scratch space, left as they were found.
std::vector<ScoredPassage> exhaustive_top_k(const std::vector<QueryTerm>& terms, int64_t k,
                                            const Bm25Scorer& scorer, const uint8_t* lengths,
                                            std::vector<double>& scores,
                                            std::vector<uint32_t>& touched);
// max_score_top_k gives the same passages, scores and order by block-max MaxScore (Turtle and
// Flood's MaxScore with Chakrabarti et al.'s block bounds, as Lucene 9 runs it): passages in
// corpus order, in windows of a few thousand; in each window a term's bound is the largest
// impact of its blocks there. Once k are found, the terms whose bounds together cannot lift a
// passage past the k-th score no longer propose passages; they are only looked up for
// passages the others propose, and a passage stops being scored as soon as its bound falls to
// the k-th score. The proposing terms are scored term at a time into the window's scores (a
// scatter, where a merge of their cursors would branch on every posting), and a passage's
// score is added up again in the terms' order only when it may enter. A window where no term
// can propose is passed over undecoded.
std::vector<ScoredPassage> max_score_top_k(const std::vector<QueryTerm>& terms, int64_t k,
                                           const Bm25Scorer& scorer, const uint8_t* lengths);

}  // namespace kvchain::retrievers
