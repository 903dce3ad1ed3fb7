#pragma once

#include <cstdint>
#include <string>

#include "retrievers/lucene_bm25.h"

namespace kvchain::retrievers {

struct Bm25IndexOptions {
  std::string corpus;   // JSONL {"id", "contents"}
  std::string out_dir;  // bm25.idx and index.json are written here
  Bm25Params params;
  bool stem = false;
  int threads = 1;  // analysis threads
  // Postings held in memory before a sorted run goes to disk (about 40 bytes each with the
  // term table), so a 21M-passage corpus indexes in a few GB.
  int64_t postings_in_memory = 50'000'000;
};

struct Bm25IndexSummary {
  int64_t passages = 0;
  int64_t terms = 0;
  int64_t postings = 0;
  int64_t runs = 0;  // sorted runs spilled to disk and merged
  double seconds = 0;
};

// Streams the corpus once (analysis on `threads` threads), spills sorted runs when memory fills
// and merges them into one checksummed bm25.idx; index.json is written last, so a directory
// with index.json always holds a finished index.
Bm25IndexSummary build_bm25_index(const Bm25IndexOptions& options);

}  // namespace kvchain::retrievers
