#include "tasks/compression_qa.h"

#include "tasks/text.h"

namespace kvchain::tasks {
namespace {
constexpr const char* kCompressedTag = "<compressed>";
}  // namespace

std::string CompressionQA::shared(const Json& record, const std::string& where) const {
  return "Question: " + json_string_field(record, "question", where) + "\n";
}

std::string CompressionQA::passages(const Json& record, const std::string& where) const {
  if (!record.contains("passages")) {
    return search_.retrieved({json_string_field(record, "question", where)});
  }
  return record_passages(record, where, static_cast<size_t>(top_k_));
}

std::string CompressionQA::input(const Json& record, const std::string& where, size_t turn,
                                 ChainMode mode, const std::vector<std::string>& earlier) const {
  if (turn == 0) return passages(record, where) + kCompressedTag;
  if (mode == ChainMode::kShared) return kAnswerTag;
  return tagged(kCompressedTag, earlier.at(0)) + "\n" + kAnswerTag;
}

std::string CompressionQA::single_input(const Json& record, const std::string& where,
                                        bool with_passages) const {
  return (with_passages ? passages(record, where) : "") + kAnswerTag;
}

std::string CompressionQA::target(const Json& record, const std::string& where, size_t turn) const {
  return turn == 0 ? json_string_field(record, "compressed", where)
                   : golden_answers(record, where).front();
}

std::string CompressionQA::prompt_init(size_t index) const {
  return index == 0 ? "Copy the sentences that answer the question:" : Task::prompt_init(index);
}

std::string CompressionQA::distill_target(const Json& record, const std::string& where) const {
  return target(record, where, 0) + "\n" + tagged(kAnswerTag, target(record, where, 1));
}

std::string CompressionQA::answer_from_distilled(const std::string& output) const {
  return after_last(output, kAnswerTag);
}

}  // namespace kvchain::tasks
