#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain::data {

struct Choice {
  std::string label;
  std::string text;
};

// A question from any supported dataset, in the fields the embedded tasks use.
struct QARecord {
  std::string id;
  std::string question;
  std::vector<std::string> golden_answers;
  std::vector<Choice> choices;  // multiple-choice datasets only
  std::string answer_key;       // the correct choice's label, when there are choices
  Json metadata = Json::object();

  // {"id", "question", "golden_answers"[, "choices", "answer_key"][, "metadata"]}
  Json to_json() const;
};

// What a loader read: how many records, and which lines it skipped and why.
struct LoadReport {
  std::string path;
  int64_t records = 0;
  int64_t skipped = 0;
  std::vector<std::string> problems;  // "FILE:LINE: field 'x': ...", the first few

  std::string summary() const;
};

struct LoadOptions {
  bool strict = false;        // the first malformed record is an error, not a skipped line
  size_t problems_kept = 20;  // how many problems the report lists
};

}  // namespace kvchain::data
