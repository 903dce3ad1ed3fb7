#include "data/loaders/qa_record.h"

namespace kvchain::data {

Json QARecord::to_json() const {
  Json j = {{"id", id}, {"question", question}, {"golden_answers", golden_answers}};
  if (!choices.empty()) {
    j["choices"] = Json::array();
    for (const auto& c : choices) j["choices"].push_back({{"label", c.label}, {"text", c.text}});
    j["answer_key"] = answer_key;
  }
  if (!metadata.empty()) j["metadata"] = metadata;
  return j;
}

}  // namespace kvchain::data
