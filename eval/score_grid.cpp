#include "eval/score_grid.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

namespace kvchain::eval {

const std::vector<std::pair<std::string, std::string>>& metric_labels() {
  static const std::vector<std::pair<std::string, std::string>> labels = {
      {"em", "EM"}, {"f1", "F1"}, {"acc", "Acc"}};
  return labels;
}

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string score_with_interval(const ScoreRow& row, const std::string& metric) {
  const auto score = row.scores.find(metric);
  if (score == row.scores.end()) return "–";
  std::string text = fixed(score->second);
  const auto range = row.intervals.find(metric);
  if (range != row.intervals.end()) {
    text += " [" + fixed(range->second.first) + ", " + fixed(range->second.second) + "]";
  }
  return text;
}

std::string xml_text(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Grid::Grid(const std::vector<ScoreRow>& rows) {
  std::map<std::tuple<std::string, System, std::string>, int> interval_counts;
  for (const auto& row : rows) {
    if (std::find(tasks_.begin(), tasks_.end(), row.task) == tasks_.end()) {
      tasks_.push_back(row.task);
    }
    auto& cell = cells_[{row.task, row.method}];
    for (const auto& [metric, value] : row.scores) {
      cell.scores[metric] += value;
      metrics_[row.task].insert(metric);
    }
    for (const auto& [metric, range] : row.intervals) {
      auto& sum = cell.intervals[metric];
      sum.first += range.first;
      sum.second += range.second;
      ++interval_counts[{row.task, row.method, metric}];
    }
    cell.prefilled += row.prefilled_tokens;
    cell.latency += row.latency_s;
    cell.kv += row.kv_bytes;
    ++cell.count;
  }
  for (auto& [key, cell] : cells_) {
    for (auto& [metric, value] : cell.scores) value /= cell.count;
    for (auto& [metric, range] : cell.intervals) {
      const int count = interval_counts.at({key.first, key.second, metric});
      range = {range.first / count, range.second / count};
    }
    cell.prefilled /= cell.count;
    cell.latency /= cell.count;
    cell.kv /= cell.count;
  }
}

std::vector<std::pair<std::string, std::string>> Grid::metrics(const std::string& task) const {
  std::vector<std::pair<std::string, std::string>> out;
  const auto found = metrics_.find(task);
  for (const auto& [key, label] : metric_labels()) {
    if (found != metrics_.end() && found->second.count(key)) out.push_back({key, label});
  }
  return out;
}

const Cell* Grid::cell(const std::string& task, System method) const {
  const auto it = cells_.find({task, method});
  return it == cells_.end() ? nullptr : &it->second;
}

bool Grid::has_method(System method) const {
  return std::any_of(tasks_.begin(), tasks_.end(),
                     [&](const std::string& t) { return cell(t, method) != nullptr; });
}

}  // namespace kvchain::eval
