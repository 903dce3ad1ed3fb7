#pragma once

#include <array>
#include <cstdint>

namespace kvchain::retrievers {

// Lucene's one-byte document length (SmallFloat.intToByte4): exact below 24 terms, then four
// significant bits. Scores use the decoded length, so matching Lucene means quantising too.
uint8_t encode_length(uint32_t length);
uint32_t decode_length(uint8_t code);

struct Bm25Params {
  float k1 = 0.9f;  // Pyserini's defaults
  float b = 0.4f;
};

// BM25Similarity (Lucene 8 and later, as Pyserini uses it), in Lucene's float arithmetic:
//   idf    = (float) ln(1 + (N - df + 0.5) / (df + 0.5))            computed in double
//   weight = boost * idf                                              boost: the query's count of
//                                                                     the term
//   score  = weight - weight / (1 + tf * 1 / (k1 * ((1 - b) + b * dl / avgdl)))
// which equals weight * tf / (tf + k1 * (1 - b + b * dl / avgdl)). N counts passages with at
// least one term, avgdl = (float) (total terms / N), dl is the decoded length.
class Bm25Scorer {
 public:
  Bm25Scorer(Bm25Params params, uint64_t doc_count, uint64_t total_terms);
  float idf(uint64_t doc_freq) const;
  float score(float weight, uint32_t tf, uint8_t length_code) const {
    return score_of_impact(weight, impact(tf, length_code));
  }
  // A posting's part of its score, tf / (k1 * ((1 - b) + b * dl / avgdl)): the score grows with
  // it at any weight (in float too), so a term's largest impact bounds its scores.
  float impact(uint32_t tf, uint8_t length_code) const {
    return static_cast<float>(tf) * norm_inverse_[length_code];
  }
  static float score_of_impact(float weight, float impact) {
    return weight - weight / (1.0f + impact);
  }
  float average_length() const { return average_length_; }

 private:
  uint64_t doc_count_;
  float average_length_;
  std::array<float, 256> norm_inverse_{};
};

}  // namespace kvchain::retrievers
