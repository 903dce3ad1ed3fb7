#include "eval/prediction_scores.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "engine/io/error.h"
#include "engine/io/jsonl_reader.h"
#include "eval/accuracy.h"
#include "eval/metrics.h"

namespace kvchain::eval {
namespace {

std::vector<std::string> gold_answers(const Json& record, const std::string& where) {
  if (record.contains("golden_answers")) return json_string_list(record, "golden_answers", where);
  if (record.contains("answer")) return {json_string_field(record, "answer", where)};
  throw Error(where + ": missing field 'golden_answers' (or 'answer' for choices)");
}

struct Metric {
  const char* name;
  const std::vector<double> PredictionScores::*values;
};
constexpr Metric kMetrics[] = {
    {"em", &PredictionScores::em}, {"f1", &PredictionScores::f1}, {"acc", &PredictionScores::acc}};

Json percent_interval(const Estimate& e) {
  return Json::array({100 * e.low, 100 * e.high});
}

// The tokens a record's turns prefilled, summed; NaN without "turns".
double prefilled_tokens(const Json& record, const std::string& where) {
  if (!record.contains("turns")) return std::numeric_limits<double>::quiet_NaN();
  const auto& turns = record["turns"];
  if (!turns.is_array()) throw Error(where + ": field 'turns' must be a list");
  double sum = 0;
  for (size_t i = 0; i < turns.size(); ++i) {
    sum += json_number_field(turns[i], "prefilled", where + ": turns[" + std::to_string(i) + "]");
  }
  return sum;
}

// The tokens each of `scores`' examples prefilled; an Error names a record without "turns".
const std::vector<double>& prefilled_of(const PredictionScores& scores) {
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isnan(scores.prefilled[i])) continue;
    const auto id = scores.ids[i].empty() ? "#" + std::to_string(i + 1) : "'" + scores.ids[i] + "'";
    throw Error(scores.path + ": record " + id +
                " has no 'turns', so its prefilled tokens are unknown");
  }
  return scores.prefilled;
}

// The positions in `b` of `a`'s examples.
std::vector<size_t> pairing(const PredictionScores& a, const PredictionScores& b) {
  const auto has_ids = [](const PredictionScores& s) {
    for (const auto& id : s.ids) {
      if (id.empty()) return false;
    }
    return true;
  };
  if (a.size() != b.size()) {
    throw Error(a.path + " has " + std::to_string(a.size()) + " predictions, " + b.path + " " +
                std::to_string(b.size()) + ": a paired test needs the same examples");
  }
  std::vector<size_t> order(a.size());
  if (!has_ids(a) || !has_ids(b)) {
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    return order;
  }
  std::map<std::string, size_t> in_b;
  for (size_t i = 0; i < b.size(); ++i) in_b[b.ids[i]] = i;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto it = in_b.find(a.ids[i]);
    if (it == in_b.end()) {
      throw Error(b.path + ": no prediction for id '" + a.ids[i] + "' of " + a.path);
    }
    order[i] = it->second;
  }
  return order;
}

}  // namespace

PredictionScores score_predictions(const std::string& path) {
  PredictionScores scores;
  scores.path = path;
  JsonlReader reader(path, "the predictions");
  Json record;
  // Paired tests match examples by id, so an id may appear once.
  std::map<std::string, std::string> first_line_of;
  while (reader.next(record)) {
    const auto& where = reader.where();
    if (!record.is_object()) throw Error(where + ": expected a JSON object per line");
    const auto prediction = json_string_field(record, "prediction", where);
    const auto gold = gold_answers(record, where);
    scores.ids.push_back(record.contains("id") ? json_string_field(record, "id", where) : "");
    if (!scores.ids.back().empty()) {
      const auto [first, fresh] = first_line_of.emplace(scores.ids.back(), where);
      if (!fresh) {
        throw Error(where + ": id '" + scores.ids.back() + "' appears again (first at " +
                    first->second + ")");
      }
    }
    std::vector<std::string> scored;
    if (record.contains("metrics")) {
      scored = json_string_list(record, "metrics", where);
      for (const auto& name : scored) {
        if (std::none_of(std::begin(kMetrics), std::end(kMetrics),
                         [&](const Metric& m) { return name == m.name; })) {
          throw Error(where + ": field 'metrics' names '" + name + "' (em, f1, acc)");
        }
      }
    }
    const auto score = [&](const char* metric, double value) {
      const bool counts =
          scored.empty() || std::find(scored.begin(), scored.end(), metric) != scored.end();
      return counts ? value : std::numeric_limits<double>::quiet_NaN();
    };
    scores.em.push_back(score("em", exact_match(prediction, gold)));
    scores.f1.push_back(score("f1", token_f1(prediction, gold)));
    scores.acc.push_back(score("acc", choice_accuracy(prediction, gold)));
    scores.prefilled.push_back(prefilled_tokens(record, where));
  }
  if (scores.size() == 0) throw Error(path + ": no predictions");
  return scores;
}

Json summarize(const PredictionScores& scores, int64_t resamples, uint64_t seed) {
  Json summary = {{"n", scores.size()}};
  Json ci = Json::object(), scored = Json::object();
  for (const auto& metric : kMetrics) {
    std::vector<double> values;
    for (const double v : scores.*metric.values) {
      if (!std::isnan(v)) values.push_back(v);
    }
    scored[metric.name] = values.size();
    if (values.empty()) {
      summary[metric.name] = nullptr;
      ci[metric.name] = nullptr;
      continue;
    }
    const auto estimate = bootstrap_mean(values, resamples, seed);
    summary[metric.name] = 100 * estimate.mean;
    ci[metric.name] = percent_interval(estimate);
  }
  summary["ci"] = ci;
  summary["scored"] = scored;
  return summary;
}

std::vector<MetricTest> compare_metrics(const PredictionScores& a, const PredictionScores& b,
                                        int64_t resamples, uint64_t seed) {
  const auto order = pairing(a, b);
  std::vector<MetricTest> tests;
  for (const auto& metric : kMetrics) {
    const auto& values_a = a.*metric.values;
    const auto& values_b = b.*metric.values;
    std::vector<double> paired_a, paired_b;
    for (size_t i = 0; i < order.size(); ++i) {
      if (std::isnan(values_a[i]) || std::isnan(values_b[order[i]])) continue;
      paired_a.push_back(values_a[i]);
      paired_b.push_back(values_b[order[i]]);
    }
    if (paired_a.empty()) continue;
    auto test = paired_bootstrap_of_scores(paired_a, paired_b, resamples, seed);
    for (auto* value : {&test.difference.mean, &test.difference.low, &test.difference.high}) {
      *value *= 100;
    }
    tests.push_back({metric.name, test});
  }
  return tests;
}

Json compare(const PredictionScores& a, const PredictionScores& b, int64_t resamples,
             uint64_t seed) {
  Json result = Json::object();
  for (const auto& metric : kMetrics) result[metric.name] = nullptr;
  for (const auto& [metric, test] : compare_metrics(a, b, resamples, seed)) {
    result[metric] = {{"difference", test.difference.mean},
                      {"low", test.difference.low},
                      {"high", test.difference.high},
                      {"p", test.p_value},
                      {"differing", test.differing}};
  }
  return result;
}

PairedTest compare_prefilled(const PredictionScores& a, const PredictionScores& b,
                             int64_t resamples, uint64_t seed) {
  const auto order = pairing(a, b);
  const auto& values_a = prefilled_of(a);
  const auto& values_b = prefilled_of(b);
  std::vector<double> paired_b(order.size());
  for (size_t i = 0; i < order.size(); ++i) paired_b[i] = values_b[order[i]];
  return paired_bootstrap(values_a, paired_b, resamples, seed);
}

}  // namespace kvchain::eval
