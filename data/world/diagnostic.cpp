#include "data/world/task_records.h"

namespace kvchain::data {
namespace {
constexpr size_t kDistractors = 2;  // similar-named passages beside the one that answers
}

std::vector<Json> diagnostic_records(const Encyclopedia& e, Rng& rng) {
  std::vector<Json> records;
  for (const auto& q : single_hop_questions(e, rng)) {
    const auto& own = e.passage(q.support.front()->passage_id);
    std::vector<const Passage*> passages = {&own};
    for (const auto* p : e.distractors(own.title, kDistractors, rng)) passages.push_back(p);
    rng.shuffle(passages);
    Json list = Json::array();
    for (const auto* p : passages) list.push_back(passage_json(*p));
    records.push_back({{"question", q.text},
                       {"golden_answers", q.answers},
                       {"type", q.kind},
                       {"passages", list},
                       {"supporting_passages", {own.id}}});
  }
  return records;
}

}  // namespace kvchain::data
