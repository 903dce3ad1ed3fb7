#include "tasks/memory_reasoning.h"

#include "engine/io/error.h"
#include "tasks/text.h"

namespace kvchain::tasks {

std::string MemoryReasoning::shared(const Json& record, const std::string& where) const {
  const auto question = json_string_field(record, "question", where);
  std::string text = "Question: " + question + "\n";
  if (!record.contains("choices")) return text;
  const auto& choices = record["choices"];
  if (!choices.is_array() || choices.empty()) {
    throw Error(where + ": field 'choices' must be a non-empty list");
  }
  text += "Options:\n";
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto choice_where = where + ": choices[" + std::to_string(i) + "]";
    text += json_string_field(choices[i], "label", choice_where) + ". " +
            json_string_field(choices[i], "text", choice_where) + "\n";
  }
  return text;
}

std::string MemoryReasoning::tag(size_t member) const {
  return member == 0 ? "<memory_start>" : "<reason_start>";
}

std::string MemoryReasoning::single_input(const Json& record, const std::string& where,
                                          bool with_passages) const {
  if (!with_passages) return kAnswerTag;
  return search_.retrieved({json_string_field(record, "question", where)}) + kAnswerTag;
}

std::string MemoryReasoning::prompt_init(size_t index) const {
  return index == 0 ? "Recall a fact the question needs:"
                    : "Reason from the recalled facts to the answer:";
}

}  // namespace kvchain::tasks
