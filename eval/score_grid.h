#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eval/scores_file.h"

namespace kvchain::eval {

// A method row of the paper's tables, in the tables' order.
struct MethodRow {
  const char* name;
  const char* label;
  const char* group;
};
inline constexpr const char* kChainGroup = "Chain of Models";
const std::vector<MethodRow>& method_rows();
const MethodRow& method_row(const std::string& name);  // an Error names the known ones
// The metrics in the tables' order, with their column labels.
const std::vector<std::pair<std::string, std::string>>& metric_labels();

// `value` with `decimals` decimals.
std::string fixed(double value, int decimals = 1);

// Means over seeds of one method on one task.
struct Cell {
  std::map<std::string, double> scores;
  double prefilled = 0, latency = 0, kv = 0;
  int count = 0;
};

// The runs of a suite as means over seeds, keyed by (task, method). A method the tables do
// not know is an Error naming it.
class Grid {
 public:
  explicit Grid(const std::vector<ScoreRow>& rows);
  const std::vector<std::string>& tasks() const { return tasks_; }
  // The task's metrics in the tables' order, with their labels.
  std::vector<std::pair<std::string, std::string>> metrics(const std::string& task) const;
  const Cell* cell(const std::string& task, const std::string& method) const;
  bool has_method(const std::string& method) const;

 private:
  std::vector<std::string> tasks_;
  std::map<std::string, std::set<std::string>> metrics_;
  std::map<std::pair<std::string, std::string>, Cell> cells_;
};

}  // namespace kvchain::eval
