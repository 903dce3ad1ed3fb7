#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eval/scores_file.h"
#include "eval/system.h"

namespace kvchain::eval {

// The metrics in the tables' order, with their column labels.
const std::vector<std::pair<std::string, std::string>>& metric_labels();

// `value` with `decimals` decimals.
std::string fixed(double value, int decimals = 1);
// A run's score on `metric` with its bootstrap interval where known ("41.2 [35.0, 47.5]"), or
// "–" where the run has no such score.
std::string score_with_interval(const ScoreRow& row, const std::string& metric);
// `text` with &, < and > escaped, for SVG's text ("Compression&QA").
std::string xml_text(const std::string& text);

// Means over seeds of one method on one task.
struct Cell {
  std::map<std::string, double> scores;
  // Each score's bootstrap 95% interval, the means of the lows and of the highs over the seeds
  // that have one: the seeds' own intervals, not one of the mean over seeds.
  std::map<std::string, std::pair<double, double>> intervals;
  double prefilled = 0, latency = 0, kv = 0;
  int count = 0;
};

// The runs of a suite as means over seeds, keyed by (task, method).
class Grid {
 public:
  explicit Grid(const std::vector<ScoreRow>& rows);
  const std::vector<std::string>& tasks() const { return tasks_; }
  // The task's metrics in the tables' order, with their labels.
  std::vector<std::pair<std::string, std::string>> metrics(const std::string& task) const;
  const Cell* cell(const std::string& task, System method) const;
  bool has_method(System method) const;

 private:
  std::vector<std::string> tasks_;
  std::map<std::string, std::set<std::string>> metrics_;
  std::map<std::pair<std::string, System>, Cell> cells_;
};

}  // namespace kvchain::eval
