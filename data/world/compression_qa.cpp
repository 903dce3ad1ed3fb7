#include <algorithm>

#include "data/world/task_records.h"

namespace kvchain::data {
namespace {
constexpr size_t kRetrieved = 5;  // passages per question, as in the paper's top-5 setting
}

std::vector<Json> compression_qa_records(const Encyclopedia& e, Rng& rng) {
  auto questions = single_hop_questions(e, rng);
  auto bridges = bridge_questions(e, rng);
  questions.insert(questions.end(), bridges.begin(), bridges.end());
  std::vector<Json> records;
  for (const auto& q : questions) {
    std::vector<std::string> gold;
    std::string compressed;
    for (const auto* fact : q.support) {
      if (std::find(gold.begin(), gold.end(), fact->passage_id) == gold.end())
        gold.push_back(fact->passage_id);
      compressed += (compressed.empty() ? "" : " ") + fact->sentence;
    }
    std::vector<const Passage*> retrieved;
    for (const auto& id : gold) retrieved.push_back(&e.passage(id));
    const auto& topic = e.passage(gold.front()).title;
    // A bridge question's second gold passage can also be a distractor of the first: skip it.
    for (const auto* p : e.distractors(topic, kRetrieved, rng)) {
      if (retrieved.size() == kRetrieved) break;
      if (std::find(retrieved.begin(), retrieved.end(), p) == retrieved.end())
        retrieved.push_back(p);
    }
    rng.shuffle(retrieved);
    Json passages = Json::array();
    for (const auto* p : retrieved) passages.push_back(passage_json(*p));
    records.push_back({{"question", q.text},
                       {"golden_answers", q.answers},
                       {"type", q.kind},
                       {"passages", passages},
                       {"supporting_passages", gold},
                       {"compressed", compressed}});
  }
  return records;
}

}  // namespace kvchain::data
