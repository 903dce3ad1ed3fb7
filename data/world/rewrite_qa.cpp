#include "data/world/task_records.h"

namespace kvchain::data {

std::vector<Json> rewrite_qa_records(const Encyclopedia& e, Rng& rng) {
  auto questions = bridge_questions(e, rng);
  auto comparisons = comparison_questions(e, rng);
  questions.insert(questions.end(), comparisons.begin(), comparisons.end());
  std::vector<Json> records;
  for (const auto& q : questions) {
    Json supporting = Json::array();
    for (const auto* fact : q.support) supporting.push_back(fact->passage_id);
    records.push_back({{"question", q.text},
                       {"golden_answers", q.answers},
                       {"type", q.kind},
                       {"rewritten_queries", q.subqueries},
                       {"supporting_passages", supporting}});
  }
  return records;
}

}  // namespace kvchain::data
