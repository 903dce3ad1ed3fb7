#include "eval/scores_file.h"

#include "engine/io/error.h"

namespace kvchain::eval {

namespace {

const Json& list_field(const Json& file, const char* key, const std::string& path) {
  const auto& list = require_field(file, key, path);
  if (!list.is_array()) throw Error(path + ": field '" + key + "' must be a list");
  return list;
}

std::pair<double, double> interval(const Json& ci, const std::string& metric,
                                   const std::string& where) {
  const auto& pair = ci[metric];
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_number()) {
    throw Error(where + ": field 'ci." + metric + "' must be [low, high]");
  }
  return {pair[0].get<double>(), pair[1].get<double>()};
}

std::vector<PairedResult> read_paired(const Json& file, const std::string& path) {
  std::vector<PairedResult> paired;
  if (!file.contains("paired")) return paired;
  const auto& list = list_field(file, "paired", path);
  for (size_t i = 0; i < list.size(); ++i) {
    const auto where = path + ": paired[" + std::to_string(i) + "]";
    const auto& item = list[i];
    PairedResult result;
    result.task = json_string_field(item, "task", where);
    result.a = parse_system(json_string_field(item, "a", where), where + ": a");
    result.b = parse_system(json_string_field(item, "b", where), where + ": b");
    result.metric = json_string_field(item, "metric", where);
    result.seed = static_cast<int64_t>(json_number_field(item, "seed", where));
    result.n = static_cast<int64_t>(json_number_field(item, "n", where));
    result.difference = json_number_field(item, "difference", where);
    result.low = json_number_field(item, "low", where);
    result.high = json_number_field(item, "high", where);
    result.p = json_number_field(item, "p", where);
    if (item.contains("differing")) {
      result.differing = static_cast<int64_t>(json_number_field(item, "differing", where));
    }
    paired.push_back(result);
  }
  return paired;
}

TaskTitles read_titles(const Json& file, const std::string& path) {
  TaskTitles titles;
  if (!file.contains("titles")) return titles;
  const auto& object = file["titles"];
  if (!object.is_object())
    throw Error(path + ": field 'titles' must be an object of task -> title");
  for (const auto& [task, title] : object.items()) {
    titles[task] = json_string(title, path + ": field 'titles." + task + "'");
  }
  return titles;
}

}  // namespace

std::string task_title(const TaskTitles& titles, const std::string& task) {
  const auto found = titles.find(task);
  return found == titles.end() ? task : found->second;
}

ScoresFile read_scores(const std::string& path) {
  const auto file = read_json_file(path);
  const auto& runs = list_field(file, "runs", path);
  ScoresFile scores_file;
  auto& rows = scores_file.runs;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto where = path + ": runs[" + std::to_string(i) + "]";
    const auto& run = runs[i];
    ScoreRow row;
    row.task = json_string_field(run, "task", where);
    row.method = parse_system(json_string_field(run, "method", where), where + ": method");
    row.seed = json_int(require_field(run, "seed", where), where + ": seed");
    row.n = json_int(require_field(run, "n", where), where + ": n");
    if (row.seed < 0 || row.n < 0) throw Error(where + ": 'seed' and 'n' must be 0 or more");
    for (size_t j = 0; j < i; ++j) {
      const auto& other = rows[j];
      if (other.task == row.task && other.method == row.method && other.seed == row.seed) {
        throw Error(where + ": repeats runs[" + std::to_string(j) + "] (" + row.task + ", " +
                    system_key(row.method) + ", seed " + std::to_string(row.seed) + ")");
      }
    }
    const auto& scores = require_field(run, "scores", where);
    if (!scores.is_object() || scores.empty()) {
      throw Error(where + ": field 'scores' must be an object of metric -> percent");
    }
    for (const auto& [metric, value] : scores.items()) {
      const auto score = json_number_field(scores, metric.c_str(), where + ": scores");
      if (score < 0 || score > 100) {
        throw Error(where + ": scores." + metric + " is " + std::to_string(score) +
                    ", not a percent (0 to 100)");
      }
      row.scores[metric] = score;
    }
    if (run.contains("ci")) {
      for (const auto& [metric, value] : run["ci"].items()) {
        row.intervals[metric] = interval(run["ci"], metric, where);
      }
    }
    row.prefilled_tokens = json_number_field(run, "prefilled_tokens", where);
    row.latency_s = json_number_field(run, "latency_s", where);
    row.kv_bytes = json_number_field(run, "kv_bytes", where);
    rows.push_back(std::move(row));
  }
  scores_file.paired = read_paired(file, path);
  scores_file.titles = read_titles(file, path);
  return scores_file;
}

Json scores_json(const ScoresFile& scores) {
  Json runs = Json::array();
  for (const auto& row : scores.runs) {
    Json ci = Json::object();
    for (const auto& [metric, range] : row.intervals) ci[metric] = {range.first, range.second};
    runs.push_back({{"task", row.task},
                    {"method", system_key(row.method)},
                    {"seed", row.seed},
                    {"n", row.n},
                    {"scores", row.scores},
                    {"ci", ci},
                    {"prefilled_tokens", row.prefilled_tokens},
                    {"latency_s", row.latency_s},
                    {"kv_bytes", row.kv_bytes}});
  }
  Json paired = Json::array();
  for (const auto& t : scores.paired) {
    Json entry = {{"task", t.task},
                  {"a", system_key(t.a)},
                  {"b", system_key(t.b)},
                  {"metric", t.metric},
                  {"seed", t.seed},
                  {"n", t.n},
                  {"difference", t.difference},
                  {"low", t.low},
                  {"high", t.high},
                  {"p", t.p}};
    if (t.differing) entry["differing"] = *t.differing;
    paired.push_back(std::move(entry));
  }
  return {{"runs", runs}, {"paired", paired}, {"titles", scores.titles}};
}

}  // namespace kvchain::eval
