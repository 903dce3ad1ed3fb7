#pragma once

#include <string>
#include <vector>

#include "eval/scores_file.h"

namespace kvchain::eval {

// One setting changed for some tasks and methods (the adapter kind): each run of the main
// setting, the same run in the variant, and their paired tests (a and b both the method; the
// difference is variant - main, per metric).
struct Ablation {
  std::string main_label, variant_label;  // "prompt, 50 virtual tokens", ...
  std::vector<ScoreRow> main, variant;    // the same task, method and seed at each index
  std::vector<PairedResult> paired;
};

// The ablation's table: per task, method, seed and metric, both scores with their intervals,
// the paired difference variant - main with its interval, and which setting the interval
// decides is higher ("not decided" where it straddles 0).
std::string ablation_table(const Ablation& ablation, const TaskTitles& titles = {});

}  // namespace kvchain::eval
