#include "tasks/rewrite_qa.h"

#include <sstream>

#include "tasks/text.h"

namespace kvchain::tasks {
namespace {

constexpr const char* kRewriteTag = "<query_rewrite>";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!trim(line).empty()) lines.push_back(trim(line));
  }
  return lines;
}

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "\n") + line;
  return text;
}

}  // namespace

std::string RewriteQA::shared(const Json& record, const std::string& where) const {
  return "Question: " + json_string_field(record, "question", where) + "\n";
}

std::string RewriteQA::input(const Json& record, const std::string& where, size_t turn,
                             ChainMode mode, const std::vector<std::string>& earlier) const {
  if (turn == 0) return kRewriteTag;
  // A rewriter that wrote nothing leaves QA the question alone to search with.
  auto queries = lines_of(earlier.at(0));
  if (queries.empty()) queries = {json_string_field(record, "question", where)};
  const auto passages = search_.retrieved(queries) + kAnswerTag;
  if (mode == ChainMode::kShared) return passages;
  return tagged(kRewriteTag, earlier.at(0)) + "\n" + passages;
}

std::string RewriteQA::target(const Json& record, const std::string& where, size_t turn) const {
  return turn == 0 ? joined_lines(json_string_list(record, "rewritten_queries", where))
                   : golden_answers(record, where).front();
}

std::string RewriteQA::distill_input(const Json& record, const std::string& where) const {
  return search_.retrieved({json_string_field(record, "question", where)}) + kRewriteTag;
}

std::string RewriteQA::single_input(const Json& record, const std::string& where,
                                    bool with_passages) const {
  return (with_passages ? search_.retrieved({json_string_field(record, "question", where)}) : "") +
         kAnswerTag;
}

std::string RewriteQA::prompt_init(size_t index) const {
  return index == 0 ? "Rewrite the question as search queries, one per line:"
                    : Task::prompt_init(index);
}

std::string RewriteQA::distill_target(const Json& record, const std::string& where) const {
  return target(record, where, 0) + "\n" + tagged(kAnswerTag, target(record, where, 1));
}

std::string RewriteQA::answer_from_distilled(const std::string& output) const {
  return after_last(output, kAnswerTag);
}

}  // namespace kvchain::tasks
