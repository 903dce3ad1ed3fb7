#pragma once

#include "tasks/task.h"

namespace kvchain::tasks {

// The diagnostic chain: the extractor reads the passages and writes the answer; the copier
// must write exactly the extractor's output. Evaluated with the extractor's output forced to
// gold (forces_gold_earlier_turns), the copier's EM measures one thing: whether the whole
// train -> infer path of a method carries an earlier member's output to the next, as text (the
// text chain) or as cache (FTHSS). A method that works scores near 100.
//   shared:            "Question: ...\n"
//   extractor:         "<retrieved>\n" passages "<extracted>"   -> the answer
//   copier (text):     "<extracted>" the extractor's output "\n<copy>"   -> the same
//   copier (shared):   "<copy>" (the extractor's output is in the cache)
class Diagnostic : public Task {
 public:
  Diagnostic(const std::string&, const TaskSettings&) {}
  std::string name() const override { return "diagnostic"; }
  std::string title() const override { return "Diagnostic"; }
  std::vector<std::string> members() const override { return {"extractor", "copier"}; }
  std::string shared(const Json& record, const std::string& where) const override;
  std::string input(const Json& record, const std::string& where, size_t turn, ChainMode mode,
                    const std::vector<std::string>& earlier) const override;
  std::string target(const Json& record, const std::string& where, size_t turn) const override;
  int64_t max_new_tokens(size_t) const override { return 16; }
  bool forces_gold_earlier_turns() const override { return true; }
  std::string distill_target(const Json& record, const std::string& where) const override;
  std::string answer_from_distilled(const std::string& output) const override;
  int64_t distill_max_new_tokens() const override { return 36; }
  std::string single_input(const Json& record, const std::string& where,
                           bool with_passages) const override;
  std::string prompt_init(size_t index) const override;
};

}  // namespace kvchain::tasks
