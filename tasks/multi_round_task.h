#pragma once

#include <string>
#include <vector>

#include "tasks/task.h"

namespace kvchain::tasks {

// The marker with which a chain's last step gives its answer (paper Table 9).
constexpr const char* kAnswerMarker = "[The answer is]:";

// A two-member chain that alternates (A -> B -> A -> B ...) until a member's output carries
// kAnswerMarker, or the round limit is reached. A record's "steps" are its turns, in order
// (steps of other types, such as a retrieval, are skipped); their "type" names the member.
// A turn's own part depends only on the record and the earlier outputs: in shared mode it is
// the whole input, in text mode it comes after the earlier turns' own parts and outputs, so
// the text chain re-reads everything the shared cache holds.
class MultiRoundTask : public Task {
 public:
  explicit MultiRoundTask(size_t round_limit) : round_limit_(round_limit) {}

  bool multi_round() const override { return true; }
  std::optional<size_t> member_of_turn(size_t turn,
                                       const std::vector<std::string>& earlier) const override;
  std::string input(const Json& record, const std::string& where, size_t turn, ChainMode mode,
                    const std::vector<std::string>& earlier) const override;
  std::string target(const Json& record, const std::string& where, size_t turn) const override;
  std::string final_answer(const std::string& last_output) const override;
  // The distilled model writes every turn's output in order, each but the first after its
  // member's tag (it cannot retrieve between its steps), and answers with the last.
  std::string distill_target(const Json& record, const std::string& where) const override;
  std::string answer_from_distilled(const std::string& output) const override;
  size_t round_limit() const { return round_limit_; }

 protected:
  // The tag that opens an output of member `member` ("<memory_start>").
  virtual std::string tag(size_t member) const = 0;
  // Turn `turn`'s own part: by default its member's tag; a task may add what the system
  // supplies, such as passages retrieved with the earlier outputs.
  virtual std::string own_part(const Json& record, const std::string& where, size_t turn,
                               const std::vector<std::string>& earlier) const;

 private:
  std::vector<std::string> turn_texts(const Json& record, const std::string& where) const;
  size_t round_limit_;
};

}  // namespace kvchain::tasks
