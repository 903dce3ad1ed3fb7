#include "tasks/compression_qa.h"

#include "engine/io/error.h"
#include "tasks/text.h"

namespace kvchain::tasks {
namespace {

constexpr const char* kAnswerTag = "<answer_start>\n";

std::string string_field(const Json& record, const char* key, const std::string& where) {
  return json_string(require_field(record, key, where), where + ": field '" + key + "'");
}

}  // namespace

std::string CompressionQA::shared(const Json& record, const std::string& where) const {
  return "Question: " + string_field(record, "question", where) + "\n";
}

std::string CompressionQA::input(const Json& record, const std::string& where, size_t index,
                                 ChainMode mode, const std::vector<std::string>& earlier) const {
  if (index == 0) {
    const auto& passages = require_field(record, "passages", where);
    if (!passages.is_array() || passages.empty()) {
      throw Error(where + ": field 'passages' must be a non-empty list");
    }
    std::string text = "<retrieved>\n";
    for (size_t i = 0; i < passages.size(); ++i) {
      text +=
          string_field(passages[i], "contents", where + ": passages[" + std::to_string(i) + "]") +
          "\n";
    }
    return text + "<compressed>\n";
  }
  if (mode == ChainMode::kShared) return kAnswerTag;
  return "<compressed>\n" + earlier.at(0) + "\n" + kAnswerTag;
}

std::string CompressionQA::target(const Json& record, const std::string& where,
                                  size_t index) const {
  return index == 0 ? string_field(record, "compressed", where)
                    : golden_answers(record, where).front();
}

std::string CompressionQA::distill_target(const Json& record, const std::string& where) const {
  return target(record, where, 0) + "\n" + kAnswerTag + target(record, where, 1);
}

std::string CompressionQA::answer_from_distilled(const std::string& output) const {
  const auto at = output.rfind(kAnswerTag);
  return trim(at == std::string::npos ? output
                                      : output.substr(at + std::string(kAnswerTag).size()));
}

std::vector<std::string> CompressionQA::golden_answers(const Json& record,
                                                       const std::string& where) const {
  const auto& answers = require_field(record, "golden_answers", where);
  if (!answers.is_array() || answers.empty()) {
    throw Error(where + ": field 'golden_answers' must be a non-empty list");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < answers.size(); ++i) {
    out.push_back(json_string(answers[i], where + ": golden_answers[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace kvchain::tasks
