#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "retrievers/retriever.h"

namespace kvchain::tasks {

// BM25 over a world's corpus.jsonl, for tasks that retrieve between members. The index is
// built once into DATA/index-bm25/ (index.json is written last, so an interrupted build is
// redone) and the passages' text is kept in memory: worlds are small.
class PassageSearch {
 public:
  explicit PassageSearch(const std::string& data_dir);
  // The text of the top-`k` passages of every query, in query order, each passage once.
  std::vector<std::string> passages(const std::vector<std::string>& queries, int64_t k) const;
  // Those passages as a task input: "<retrieved>\n", then each passage and a newline.
  std::string retrieved(const std::vector<std::string>& queries, int64_t k) const;

 private:
  std::unique_ptr<retrievers::Retriever> index_;
  std::map<std::string, std::string> contents_;
};

}  // namespace kvchain::tasks
