#include "data/world/task_records.h"

namespace kvchain::data {
namespace {

// One plan -> retrieval -> answer round that looks up `fact`.
void add_round(const Encyclopedia& e, const Fact& fact, Json& steps,
               const std::string& suffix = "") {
  steps.push_back(step("plan", single_hop_text(fact)));
  const auto& passage = e.passage(fact.passage_id);
  steps.push_back(
      {{"type", "retrieval"}, {"passage_id", passage.id}, {"text", passage.contents()}});
  steps.push_back(step("answer", fact.statement + suffix));
}

}  // namespace

std::vector<Json> active_rag_records(const Encyclopedia& e, Rng& rng) {
  std::vector<Json> records;
  // PubHealth-like claims: a true statement, or one with the object swapped for another of
  // the same relation.
  for (const auto& fact : e.facts()) {
    if (fact.relation != Relation::kBirthplace && fact.relation != Relation::kFounder &&
        fact.relation != Relation::kFounded && fact.relation != Relation::kCreator) {
      continue;
    }
    std::string object = fact.object;
    if (rng.percent(50)) {
      const Fact* other = &rng.pick(e.facts());
      while (other->relation != fact.relation || other->object == fact.object)
        other = &rng.pick(e.facts());
      object = other->object;
    }
    const bool holds = object == fact.object;
    const auto label = holds ? "true" : "false";
    Json steps = Json::array();
    add_round(e, fact, steps, " " + answer_marker(label));
    records.push_back({{"question", paraphrases(fact.relation, fact.subject, object).front()},
                       {"golden_answers", {label}},
                       {"type", "claim"},
                       {"steps", steps}});
  }
  // 2Wiki-like multi-hop questions: one round per hop.
  for (const auto& q : bridge_questions(e, rng)) {
    Json steps = Json::array();
    for (size_t i = 0; i < q.support.size(); ++i) {
      const bool last = i + 1 == q.support.size();
      add_round(e, *q.support[i], steps, last ? " " + answer_marker(q.answers.front()) : "");
    }
    records.push_back(
        {{"question", q.text}, {"golden_answers", q.answers}, {"type", q.kind}, {"steps", steps}});
  }
  return records;
}

}  // namespace kvchain::data
