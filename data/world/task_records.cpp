#include "data/world/task_records.h"

namespace kvchain::data {

Json passage_json(const Passage& p) {
  return {{"id", p.id}, {"title", p.title}, {"contents", p.contents()}};
}

Json step(const std::string& type, const std::string& text) {
  return {{"type", type}, {"text", text}};
}

std::string answer_marker(const std::string& answer) {
  return "[The answer is]: " + answer;
}

}  // namespace kvchain::data
