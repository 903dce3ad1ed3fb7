#pragma once

#include <string>
#include <vector>

#include "eval/scores_file.h"

namespace kvchain::eval {

// Writes a run's report into `dir`, each file atomically: report.md (titled `title`: the score
// and efficiency tables, the plots linked), scores.csv and plots/*.svg. Returns report.md's path.
std::string write_report(const std::string& dir, const std::string& title,
                         const std::vector<ScoreRow>& rows);

}  // namespace kvchain::eval
