#include "data/world/task_records.h"

namespace kvchain::data {

// Comparison questions only: the rewriter writes its queries before anything is retrieved, so
// each query must name only what the question names. A bridge question's second hop names the
// bridge entity, which only the first hop's passage reveals; Active RAG, which retrieves between
// hops, holds those.
std::vector<Json> rewrite_qa_records(const Encyclopedia& e, Rng& rng) {
  std::vector<Json> records;
  for (const auto& q : comparison_questions(e, rng)) {
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
