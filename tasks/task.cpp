#include "tasks/task.h"

#include "tasks/text.h"

namespace kvchain::tasks {

std::optional<size_t> Task::member_of_turn(size_t turn, const std::vector<std::string>&) const {
  if (turn < members().size()) return turn;
  return std::nullopt;
}

std::string Task::final_answer(const std::string& last_output) const {
  return trim(last_output);
}

std::string Task::distill_input(const Json& record, const std::string& where) const {
  return input(record, where, 0, ChainMode::kText, {});
}

std::string Task::prompt_init(size_t) const {
  return "Answer the question from the text:";
}

std::vector<std::string> Task::golden_answers(const Json& record, const std::string& where) const {
  return json_string_list(record, "golden_answers", where);
}

std::vector<std::string> Task::metrics_of(const Json&, const std::string&) const {
  return metrics();
}

}  // namespace kvchain::tasks
