#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retrievers/retriever.h"
#include "tasks/task.h"

namespace kvchain::tasks {

// BM25, or the dense encoder `dense` names, over a dataset's corpus.jsonl, for tasks that
// retrieve. The index is built on the first search into DATA/index-bm25/ or
// DATA/index-dense-HASH/ (HASH names the encoder and its settings; index.json is written last,
// so an interrupted build is redone), so a task that never retrieves needs no corpus; the
// passages' text is kept in memory: worlds are small.
class PassageSearch {
 public:
  // `k`: passages per query.
  PassageSearch(std::string data_dir, int64_t k, DenseRetrieval dense = {})
      : data_dir_(std::move(data_dir)), k_(k), dense_(std::move(dense)) {}
  // The text of the top-k passages of every query, in query order, each passage once.
  std::vector<std::string> passages(const std::vector<std::string>& queries) const;
  // Those passages as a task input: "<retrieved>\n", then each passage and a newline.
  std::string retrieved(const std::vector<std::string>& queries) const;
  int64_t k() const { return k_; }

 private:
  void open() const;
  std::string data_dir_;
  int64_t k_;
  DenseRetrieval dense_;
  mutable std::string index_name_;  // the index directory's name, for errors
  mutable std::unique_ptr<retrievers::Retriever> index_;
  mutable std::map<std::string, std::string> contents_;
};

}  // namespace kvchain::tasks
