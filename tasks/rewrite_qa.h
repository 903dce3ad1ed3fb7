#pragma once

#include "tasks/passage_search.h"
#include "tasks/task.h"

namespace kvchain::tasks {

// Rewrite & QA (paper Table 8): the rewriter turns the question into sub-queries, one per
// line; BM25 retrieves the top passage (top_k) of each from the world's corpus; the QA member
// answers from those passages.
//   shared:       "Question: ...\n"
//   rewriter:     "<query_rewrite>"   -> sub-queries, one per line
//   qa (text):    "<query_rewrite>" rewriter output "\n<retrieved>\n" passages "<answer_start>"
//   qa (shared):  "<retrieved>\n" passages "<answer_start>" (the sub-queries are in the cache)
//   distill:      "<retrieved>\n" passages of the question itself "<query_rewrite>"
//                 -> sub-queries "\n<answer_start>" answer
// Training feeds QA the passages of the gold sub-queries, as inference feeds it those of the
// rewriter's. The distilled model cannot retrieve between its steps, so it reads the passages
// the question itself retrieves (the Standard RAG input) and writes the steps and the answer.
class RewriteQA : public Task {
 public:
  RewriteQA(const std::string& data_dir, const TaskSettings& settings)
      : search_(data_dir, settings.top_k > 0 ? settings.top_k : 1, settings.dense) {}
  std::string name() const override { return "rewrite_qa"; }
  std::string title() const override { return "Rewrite&QA"; }
  std::vector<std::string> members() const override { return {"rewriter", "qa"}; }
  std::string shared(const Json& record, const std::string& where) const override;
  std::string input(const Json& record, const std::string& where, size_t turn, ChainMode mode,
                    const std::vector<std::string>& earlier) const override;
  std::string target(const Json& record, const std::string& where, size_t turn) const override;
  int64_t max_new_tokens(size_t member) const override { return member == 0 ? 48 : 16; }
  std::string distill_input(const Json& record, const std::string& where) const override;
  std::string distill_target(const Json& record, const std::string& where) const override;
  std::string answer_from_distilled(const std::string& output) const override;
  std::string single_input(const Json& record, const std::string& where,
                           bool with_passages) const override;
  std::string prompt_init(size_t index) const override;
  int64_t distill_max_new_tokens() const override { return 64; }

 private:
  PassageSearch search_;
};

}  // namespace kvchain::tasks
