#include "tasks/diagnostic.h"

#include "tasks/text.h"

namespace kvchain::tasks {
namespace {
constexpr const char* kExtractedTag = "<extracted>";
constexpr const char* kCopyTag = "<copy>";
}  // namespace

std::string Diagnostic::shared(const Json& record, const std::string& where) const {
  return "Question: " + json_string_field(record, "question", where) + "\n";
}

std::string Diagnostic::input(const Json& record, const std::string& where, size_t turn,
                              ChainMode mode, const std::vector<std::string>& earlier) const {
  if (turn == 0) return record_passages(record, where) + kExtractedTag;
  if (mode == ChainMode::kShared) return kCopyTag;
  return tagged(kExtractedTag, earlier.at(0)) + "\n" + kCopyTag;
}

std::string Diagnostic::target(const Json& record, const std::string& where, size_t) const {
  return golden_answers(record, where).front();
}

std::string Diagnostic::distill_target(const Json& record, const std::string& where) const {
  return target(record, where, 0) + "\n" + tagged(kCopyTag, target(record, where, 1));
}

std::string Diagnostic::answer_from_distilled(const std::string& output) const {
  return after_last(output, kCopyTag);
}

std::string Diagnostic::single_input(const Json& record, const std::string& where,
                                     bool with_passages) const {
  return (with_passages ? record_passages(record, where) : "") + kCopyTag;
}

std::string Diagnostic::prompt_init(size_t index) const {
  return index == 0 ? "Write the answer from the passages:" : "Write the answer above again:";
}

}  // namespace kvchain::tasks
