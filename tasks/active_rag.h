#pragma once

#include "tasks/multi_round_task.h"
#include "tasks/passage_search.h"

namespace kvchain::tasks {

// Active RAG (paper Table 10; Jiang et al. 2023): the planner writes what to look up next, BM25
// retrieves its top passage, the answerer writes the next segment of the answer from it, in
// turn, until the answerer gives "[The answer is]: X". Claims (PubHealth-like) are scored by
// accuracy on true/false, multi-hop questions (2Wiki-like) by F1 on the answer.
//   shared:          "Question: ...\n"
//   plan (shared):   "<plan_start>"   -> a search query
//   answer (shared): "<retrieved>\n" the query's top passage "<answer_start>"   -> a segment
//   text mode:       every earlier turn's part and output, then the turn's part
//   distill:         "<retrieved>\n" the question's top passage "<plan_start>"
//                    -> every turn, each after its tag
// Training retrieves with the gold plans, as inference does with the planner's.
class ActiveRag : public MultiRoundTask {
 public:
  ActiveRag(const std::string& data_dir, const TaskSettings& settings)
      : MultiRoundTask(4), search_(data_dir, settings.top_k > 0 ? settings.top_k : 1, settings.dense) {}
  std::string name() const override { return "active_rag"; }
  std::string title() const override { return "Active RAG"; }
  std::vector<std::string> members() const override { return {"plan", "answer"}; }
  std::string shared(const Json& record, const std::string& where) const override;
  int64_t max_new_tokens(size_t member) const override { return member == 0 ? 24 : 40; }
  std::string distill_input(const Json& record, const std::string& where) const override;
  std::string single_input(const Json& record, const std::string& where,
                           bool with_passages) const override;
  std::string prompt_init(size_t index) const override;
  int64_t distill_max_new_tokens() const override { return 128; }
  std::vector<std::string> metrics() const override { return {"acc", "f1"}; }
  std::vector<std::string> metrics_of(const Json& record, const std::string& where) const override;

 protected:
  std::string tag(size_t member) const override;
  std::string own_part(const Json& record, const std::string& where, size_t turn,
                       const std::vector<std::string>& earlier) const override;

 private:
  std::string question_passage(const Json& record, const std::string& where) const;
  PassageSearch search_;
};

}  // namespace kvchain::tasks
