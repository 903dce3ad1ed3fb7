#include "tasks/active_rag.h"

#include "tasks/text.h"

namespace kvchain::tasks {

std::string ActiveRag::shared(const Json& record, const std::string& where) const {
  return "Question: " + json_string_field(record, "question", where) + "\n";
}

std::string ActiveRag::tag(size_t member) const {
  return member == 0 ? "<plan_start>" : kAnswerTag;
}

std::string ActiveRag::own_part(const Json& record, const std::string& where, size_t turn,
                                const std::vector<std::string>& earlier) const {
  if (turn % 2 == 0) return tag(0);
  // A planner that wrote nothing leaves the answerer the question to search with.
  const auto query = earlier.at(turn - 1).empty() ? json_string_field(record, "question", where)
                                                  : earlier.at(turn - 1);
  return search_.retrieved({query}) + tag(1);
}

std::string ActiveRag::question_passage(const Json& record, const std::string& where) const {
  return search_.retrieved({json_string_field(record, "question", where)});
}

std::string ActiveRag::distill_input(const Json& record, const std::string& where) const {
  return question_passage(record, where) + tag(0);
}

std::string ActiveRag::single_input(const Json& record, const std::string& where,
                                    bool with_passages) const {
  return (with_passages ? question_passage(record, where) : "") + kAnswerTag;
}

std::string ActiveRag::prompt_init(size_t index) const {
  return index == 0 ? "Write what to look up next:" : "Answer from the retrieved passage:";
}

std::vector<std::string> ActiveRag::metrics_of(const Json& record, const std::string& where) const {
  return json_string_field(record, "type", where) == "claim" ? std::vector<std::string>{"acc"}
                                                             : std::vector<std::string>{"f1"};
}

}  // namespace kvchain::tasks
