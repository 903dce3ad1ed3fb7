#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct sb_stemmer;

namespace kvchain::retrievers {

// Text to index terms: Unicode lowercasing, split on every code point that is not a letter,
// digit or combining mark, removal of Lucene's English stop words (EnglishAnalyzer's set of
// 33), then optionally the Porter stemmer (Snowball's "porter", which Lucene's PorterStemFilter
// also implements). One instance per thread: the stemmer keeps state between calls.
class Analyzer {
 public:
  explicit Analyzer(bool stem);
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  std::vector<std::string> terms(std::string_view text) const;
  bool stems() const { return stemmer_ != nullptr; }

 private:
  sb_stemmer* stemmer_ = nullptr;
};

bool is_stop_word(std::string_view term);

}  // namespace kvchain::retrievers
