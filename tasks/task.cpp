#include "tasks/task.h"

namespace kvchain::tasks {

std::string Task::distill_input(const Json& record, const std::string& where) const {
  return input(record, where, 0, ChainMode::kText, {});
}

std::string Task::prompt_init(size_t) const {
  return "Answer the question from the text:";
}

std::vector<std::string> Task::golden_answers(const Json& record, const std::string& where) const {
  return json_string_list(record, "golden_answers", where);
}

}  // namespace kvchain::tasks
