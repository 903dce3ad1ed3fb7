#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eval/latency_plot.h"
#include "eval/report_ablation.h"
#include "eval/scores_file.h"

namespace kvchain::eval {

// What a run's report shows.
struct Report {
  std::string title;
  std::string provenance;             // the machine and date it ran on; may be empty
  ScoresFile scores;                  // runs, and the paired tests (may be empty)
  std::vector<LatencyPoint> latency;  // from the chain modes' predictions (may be empty)
  std::optional<Ablation> ablation;   // one setting changed for some runs, if the run has one
};

// Writes a run's report into `dir`, each file atomically: report.md (the score table, the
// paper's findings checked, the efficiency table, each run's intervals, the paired tests, the
// ablation's table where there is one, the plots linked), scores.csv and plots/*.svg. Returns
// report.md's path.
std::string write_report(const std::string& dir, const Report& report);

}  // namespace kvchain::eval
