#include "eval/report_ablation.h"

#include "eval/score_grid.h"
#include "eval/verdict.h"

namespace kvchain::eval {
namespace {

const ScoreRow* run_of(const std::vector<ScoreRow>& rows, const PairedResult& test) {
  for (const auto& row : rows) {
    if (row.task == test.task && row.method == test.a && row.seed == test.seed) {
      return &row;
    }
  }
  return nullptr;
}

}  // namespace

std::string ablation_table(const Ablation& ablation, const TaskTitles& titles) {
  std::string table = "| Task | Method | Seed | Metric | n | " + ablation.main_label + " | " +
                      ablation.variant_label +
                      " | Difference [95% interval] | p | Higher |\n"
                      "| --- | --- | ---: | --- | ---: | --- | --- | --- | ---: | --- |\n";
  const Claim beats{Claim::kBeats};
  for (const auto& t : ablation.paired) {
    const auto* main = run_of(ablation.main, t);
    const auto* variant = run_of(ablation.variant, t);
    std::string higher = "not decided";
    if (t.low > 0) higher = ablation.variant_label;
    if (t.high < 0) higher = ablation.main_label;
    if (higher == "not decided") {
      if (const auto n = examples_needed(beats, t)) {
        higher += " (a decision needs n = " + std::to_string(*n) + ")";
      }
    }
    table += "| " + task_title(titles, t.task) + " | " + system_label(t.a) + " | " +
             std::to_string(t.seed) + " | " + t.metric + " | " + std::to_string(t.n) + " | " +
             (main ? score_with_interval(*main, t.metric) : "–") + " | " +
             (variant ? score_with_interval(*variant, t.metric) : "–") + " | " +
             fixed(t.difference) + " [" + fixed(t.low) + ", " + fixed(t.high) + "] | " +
             fixed(t.p, 3) + " | " + higher + " |\n";
  }
  return table;
}

}  // namespace kvchain::eval
