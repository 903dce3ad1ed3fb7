#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retrievers/retriever.h"

namespace kvchain::tasks {

// BM25 over a dataset's corpus.jsonl, for tasks that retrieve. The index is built on the first
// search into DATA/index-bm25/ (index.json is written last, so an interrupted build is
// redone), so a task that never retrieves needs no corpus; the passages' text is kept in
// memory: worlds are small.
class PassageSearch {
 public:
  // `k`: passages per query.
  PassageSearch(std::string data_dir, int64_t k) : data_dir_(std::move(data_dir)), k_(k) {}
  // The text of the top-k passages of every query, in query order, each passage once.
  std::vector<std::string> passages(const std::vector<std::string>& queries) const;
  // Those passages as a task input: "<retrieved>\n", then each passage and a newline.
  std::string retrieved(const std::vector<std::string>& queries) const;
  int64_t k() const { return k_; }

 private:
  void open() const;
  std::string data_dir_;
  int64_t k_;
  mutable std::unique_ptr<retrievers::Retriever> index_;
  mutable std::map<std::string, std::string> contents_;
};

}  // namespace kvchain::tasks
