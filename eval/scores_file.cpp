#include "eval/scores_file.h"

#include "engine/io/error.h"

namespace kvchain::eval {

std::vector<ScoreRow> read_scores(const std::string& path) {
  const auto file = read_json_file(path);
  const auto& runs = require_field(file, "runs", path);
  if (!runs.is_array()) throw Error(path + ": field 'runs' must be a list");
  std::vector<ScoreRow> rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto where = path + ": runs[" + std::to_string(i) + "]";
    const auto& run = runs[i];
    ScoreRow row;
    row.task = json_string_field(run, "task", where);
    row.method = json_string_field(run, "method", where);
    row.seed = static_cast<int64_t>(json_number_field(run, "seed", where));
    row.n = static_cast<int64_t>(json_number_field(run, "n", where));
    const auto& scores = require_field(run, "scores", where);
    if (!scores.is_object() || scores.empty()) {
      throw Error(where + ": field 'scores' must be an object of metric -> percent");
    }
    for (const auto& [metric, value] : scores.items()) {
      row.scores[metric] = json_number_field(scores, metric.c_str(), where + ": scores");
    }
    row.prefilled_tokens = json_number_field(run, "prefilled_tokens", where);
    row.latency_s = json_number_field(run, "latency_s", where);
    row.kv_bytes = json_number_field(run, "kv_bytes", where);
    rows.push_back(std::move(row));
  }
  return rows;
}

Json scores_json(const std::vector<ScoreRow>& rows) {
  Json runs = Json::array();
  for (const auto& row : rows) {
    runs.push_back({{"task", row.task},
                    {"method", row.method},
                    {"seed", row.seed},
                    {"n", row.n},
                    {"scores", row.scores},
                    {"prefilled_tokens", row.prefilled_tokens},
                    {"latency_s", row.latency_s},
                    {"kv_bytes", row.kv_bytes}});
  }
  return {{"runs", runs}};
}

}  // namespace kvchain::eval
