#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace kvchain::retrievers {

struct Passage {
  std::string id;
  std::string contents;  // may be empty: such a passage is indexed and never matches
};

// Streams a JSONL corpus of {"id", "contents"} (Pyserini / FlashRAG layout; other fields are
// ignored) without holding it in memory. Errors name the file and line.
class CorpusReader {
 public:
  explicit CorpusReader(std::string path);
  // False at the end of the file; blank lines are skipped.
  bool next(Passage& passage);
  int64_t line() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ifstream in_;
  int64_t line_ = 0;
};

}  // namespace kvchain::retrievers
