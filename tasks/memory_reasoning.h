#pragma once

#include "tasks/multi_round_task.h"
#include "tasks/passage_search.h"

namespace kvchain::tasks {

// Memory & Reasoning (paper Table 9; Jin et al. 2024): the memory member recalls a fact from
// the base model's knowledge, the reasoning member draws the next conclusion, in turn, until
// reasoning gives "[The answer is]: X" (yes/no, or a choice's letter). Scored by accuracy.
//   shared:          "Question: ...\n" and, for choices, "Options:\nA. ...\n"
//   memory (shared): "<memory_start>"   -> a recalled fact
//   reason (shared): "<reason_start>"   -> a conclusion, the last one with the answer
//   text mode:       every earlier turn's tag and output, then the turn's tag
//   distill:         "<memory_start>" -> every turn, each after its tag
// Standard RAG and Prompt Tuning read the passages BM25 ranks first for the question (top_k).
class MemoryReasoning : public MultiRoundTask {
 public:
  MemoryReasoning(const std::string& data_dir, const TaskSettings& settings)
      : MultiRoundTask(4), search_(data_dir, settings.top_k > 0 ? settings.top_k : 1, settings.dense) {}
  std::string name() const override { return "memory_reasoning"; }
  std::string title() const override { return "Memory&Reasoning"; }
  std::vector<std::string> members() const override { return {"memory", "reason"}; }
  std::string shared(const Json& record, const std::string& where) const override;
  int64_t max_new_tokens(size_t member) const override { return member == 0 ? 32 : 40; }
  std::string single_input(const Json& record, const std::string& where,
                           bool with_passages) const override;
  std::string prompt_init(size_t index) const override;
  int64_t distill_max_new_tokens() const override { return 160; }
  std::vector<std::string> metrics() const override { return {"acc"}; }

 protected:
  std::string tag(size_t member) const override;

 private:
  PassageSearch search_;
};

}  // namespace kvchain::tasks
