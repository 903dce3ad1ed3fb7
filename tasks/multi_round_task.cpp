#include "tasks/multi_round_task.h"

#include <algorithm>

#include "engine/io/error.h"
#include "tasks/text.h"

namespace kvchain::tasks {

std::optional<size_t> MultiRoundTask::member_of_turn(
    size_t turn, const std::vector<std::string>& earlier) const {
  if (!earlier.empty() && earlier.back().find(kAnswerMarker) != std::string::npos) {
    return std::nullopt;
  }
  if (turn >= round_limit_ * members().size()) return std::nullopt;
  return turn % members().size();
}

std::string MultiRoundTask::own_part(const Json&, const std::string&, size_t turn,
                                     const std::vector<std::string>&) const {
  return tag(turn % members().size());
}

std::string MultiRoundTask::input(const Json& record, const std::string& where, size_t turn,
                                  ChainMode mode, const std::vector<std::string>& earlier) const {
  if (mode == ChainMode::kShared) return own_part(record, where, turn, earlier);
  std::string text;
  for (size_t i = 0; i < turn; ++i) {
    const std::vector<std::string> before(earlier.begin(),
                                          earlier.begin() + static_cast<std::ptrdiff_t>(i));
    text += tagged(own_part(record, where, i, before), earlier.at(i)) + "\n";
  }
  return text + own_part(record, where, turn, earlier);
}

std::vector<std::string> MultiRoundTask::turn_texts(const Json& record,
                                                    const std::string& where) const {
  const auto& steps = require_field(record, "steps", where);
  if (!steps.is_array()) throw Error(where + ": field 'steps' must be a list");
  const auto names = members();
  std::vector<std::string> texts;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto step_where = where + ": steps[" + std::to_string(i) + "]";
    const auto type = json_string_field(steps[i], "type", step_where);
    if (std::find(names.begin(), names.end(), type) == names.end()) continue;
    const auto& expected = names[texts.size() % names.size()];
    if (type != expected) {
      throw Error(step_where + ": a " + type + " step where the chain's turn " +
                  std::to_string(texts.size()) + " is " + expected + "'s");
    }
    texts.push_back(json_string_field(steps[i], "text", step_where));
  }
  return texts;
}

std::string MultiRoundTask::target(const Json& record, const std::string& where,
                                   size_t turn) const {
  const auto texts = turn_texts(record, where);
  if (turn >= texts.size()) {
    throw Error(where + ": the steps end after " + std::to_string(texts.size()) +
                " turns without \"" + kAnswerMarker + "\"");
  }
  return texts[turn];
}

std::string MultiRoundTask::final_answer(const std::string& last_output) const {
  return after_last(last_output, kAnswerMarker);
}

std::string MultiRoundTask::distill_target(const Json& record, const std::string& where) const {
  const auto texts = turn_texts(record, where);
  std::string text;
  for (size_t turn = 0; turn < texts.size(); ++turn) {
    text += turn == 0 ? texts[turn] : "\n" + tagged(tag(turn % members().size()), texts[turn]);
    if (!member_of_turn(turn + 1, {texts.begin(), texts.begin() + turn + 1})) break;
  }
  return text;
}

std::string MultiRoundTask::answer_from_distilled(const std::string& output) const {
  return after_last(output, kAnswerMarker);
}

}  // namespace kvchain::tasks
