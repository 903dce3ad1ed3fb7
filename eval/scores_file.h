#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain::eval {

// One evaluated run of a suite: a method on a task's test split with one seed. Scores are in
// percent; the efficiency figures are means per example.
struct ScoreRow {
  std::string task, method;
  int64_t seed = 0, n = 0;
  std::map<std::string, double> scores;  // "em", "f1", "acc": those the task reports
  double prefilled_tokens = 0, latency_s = 0, kv_bytes = 0;
};

// scores.json: {"runs": [{"task", "method", "seed", "n", "scores": {...}, "prefilled_tokens",
// "latency_s", "kv_bytes"}, ...]}. Errors name the file and the run's index and field.
std::vector<ScoreRow> read_scores(const std::string& path);
Json scores_json(const std::vector<ScoreRow>& rows);

}  // namespace kvchain::eval
