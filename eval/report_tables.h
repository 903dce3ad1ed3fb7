#pragma once

#include <map>
#include <string>
#include <vector>

#include "eval/scores_file.h"

namespace kvchain::eval {

// What a reader sees names each task by its title in `titles` (its label where there is none).

// The paper's result tables (Tables 1-4): methods as rows, grouped Single Model / Chain of
// Models / Streamlining; each task's metrics as columns, means over seeds; the best number of a
// column outside the chain of models in bold when it beats another there (the chain is the
// reference the others streamline).
// A method the layout does not know is an Error naming it.
std::string score_table(const std::vector<ScoreRow>& rows, const TaskTitles& titles = {});
// Per example means of each method on each task: prefilled tokens, latency, KV-cache MB.
std::string efficiency_table(const std::vector<ScoreRow>& rows, const TaskTitles& titles = {});
// One SVG bar chart per task and metric ("TASK-METRIC.svg", by label -> SVG text): each
// method's mean score, coloured by group, on a 0-100 axis, with its bootstrap 95% interval as
// an error bar where the runs have one (with several seeds, the means of their lows and highs).
std::map<std::string, std::string> score_plots(const std::vector<ScoreRow>& rows,
                                               const TaskTitles& titles = {});

// One line per run, for spreadsheets and plots.
std::string scores_csv(const std::vector<ScoreRow>& rows);

// Every (task, method, metric) of `before` whose mean over seeds is missing from `after` or
// dropped by more than `tolerance` points there, as one message each.
std::vector<std::string> regressions(const std::vector<ScoreRow>& before,
                                     const std::vector<ScoreRow>& after, double tolerance);

}  // namespace kvchain::eval
