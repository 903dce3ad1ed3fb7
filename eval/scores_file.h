#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/io/json_file.h"
#include "eval/system.h"

namespace kvchain::eval {

// One evaluated run of a suite: a method (a system compared) on a task's test split with one seed.
// Scores are in percent; the efficiency figures are means per example.
struct ScoreRow {
  std::string task;
  System method = System::kText;
  int64_t seed = 0, n = 0;
  std::map<std::string, double> scores;  // "em", "f1", "acc": those the task reports
  // The bootstrap 95% interval of each score, where known.
  std::map<std::string, std::pair<double, double>> intervals;
  double prefilled_tokens = 0, latency_s = 0, kv_bytes = 0;
};

// A paired bootstrap test of method `a` against `b` on one task, seed and metric: a score's in
// points, kPrefilledTokens's (the tokens each example's turns prefilled) in tokens.
inline constexpr const char* kPrefilledTokens = "prefilled_tokens";
struct PairedResult {
  std::string task;
  System a = System::kShared, b = System::kText;
  std::string metric;
  int64_t seed = 0, n = 0;
  double difference = 0, low = 0, high = 0, p = 1;
  // Examples whose A and B differ; unknown in a file written before it was recorded.
  std::optional<int64_t> differing = std::nullopt;
};

// Task label ("compression_qa", "compression_qa hqa") -> the title a reader sees, the task's
// name as the paper writes it ("Compression&QA", "Compression&QA (hqa)").
using TaskTitles = std::map<std::string, std::string>;
// `task`'s title, or the label itself where `titles` has none (a run saved without titles).
std::string task_title(const TaskTitles& titles, const std::string& task);

// scores.json: {"runs": [{"task", "method", "seed", "n", "scores": {...}, "ci": {metric: [low,
// high]} (optional), "prefilled_tokens", "latency_s", "kv_bytes"}, ...], "paired": [{"task",
// "a", "b", "metric", "seed", "n", "difference", "low", "high", "p", "differing" (optional)},
// ...] (optional),
// "titles": {label: title} (optional)}. Task labels are the keys everywhere in the file. Errors
// name the file and the entry's index and field.
struct ScoresFile {
  std::vector<ScoreRow> runs;
  std::vector<PairedResult> paired;
  TaskTitles titles;
};
ScoresFile read_scores(const std::string& path);
Json scores_json(const ScoresFile& scores);

}  // namespace kvchain::eval
