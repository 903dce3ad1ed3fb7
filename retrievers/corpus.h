#pragma once

#include <cstdint>
#include <string>

#include "engine/io/jsonl_reader.h"

namespace kvchain::retrievers {

struct Passage {
  std::string id;
  std::string contents;  // may be empty: such a passage is indexed and never matches
  int64_t line = 0;      // in the corpus file
};

// Streams a JSONL corpus of {"id", "contents"} (Pyserini / FlashRAG layout; other fields are
// ignored) without holding it in memory. Errors name the file and line.
class CorpusReader {
 public:
  explicit CorpusReader(std::string path);
  // False at the end of the file; blank lines are skipped.
  bool next(Passage& passage);
  // "FILE:LINE" of the passage last returned.
  const std::string& where() const { return records_.where(); }

 private:
  JsonlReader records_;
};

}  // namespace kvchain::retrievers
