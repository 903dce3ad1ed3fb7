#pragma once

#include "tasks/passage_search.h"
#include "tasks/task.h"

namespace kvchain::tasks {

// Compression & QA (paper Table 7): the compressor reads the retrieved passages and writes the
// sentences that answer the question; the QA member answers from them.
//   shared:      "Question: ...\n"
//   compressor:  "<retrieved>\n" passages "<compressed>"   -> supporting sentences
//   qa (text):   "<compressed>" compressor output "\n<answer_start>"   -> answer
//   qa (shared): "<answer_start>" (the compressor's output is in the cache)
// The passages are a record's own "passages" when it carries them (a retrieval made beforehand,
// in rank order: the world's simulated top-5, or a retriever's output), the first top_k of
// them if top_k is set; otherwise BM25's top_k (default 1) for the question over the
// dataset's corpus.jsonl.
class CompressionQA : public Task {
 public:
  CompressionQA(const std::string& data_dir, const TaskSettings& settings)
      : top_k_(settings.top_k), search_(data_dir, settings.top_k > 0 ? settings.top_k : 1, settings.dense) {}
  std::string name() const override { return "compression_qa"; }
  std::string title() const override { return "Compression&QA"; }
  std::vector<std::string> members() const override { return {"compressor", "qa"}; }
  std::string shared(const Json& record, const std::string& where) const override;
  std::string input(const Json& record, const std::string& where, size_t turn, ChainMode mode,
                    const std::vector<std::string>& earlier) const override;
  std::string target(const Json& record, const std::string& where, size_t turn) const override;
  int64_t max_new_tokens(size_t member) const override { return member == 0 ? 64 : 16; }
  std::string distill_target(const Json& record, const std::string& where) const override;
  std::string answer_from_distilled(const std::string& output) const override;
  std::string single_input(const Json& record, const std::string& where,
                           bool with_passages) const override;
  std::string prompt_init(size_t index) const override;
  int64_t distill_max_new_tokens() const override { return 80; }

 private:
  std::string passages(const Json& record, const std::string& where) const;
  int64_t top_k_;
  PassageSearch search_;
};

}  // namespace kvchain::tasks
