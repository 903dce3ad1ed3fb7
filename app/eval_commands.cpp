#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/options.h"
#include "engine/io/error.h"
#include "eval/prediction_scores.h"
#include "eval/report_tables.h"
#include "eval/report_writer.h"

namespace kvchain::app {
namespace {

struct EvalArgs {
  std::string predictions, against;
  int64_t resamples = 1000;
  uint64_t seed = 0;
};

struct ReportArgs {
  std::string scores, out_dir, before, after;
  double tolerance = 1.0;
};

void register_report_commands(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand("report", "Paper-style tables of a run, and run comparison");
  report->require_subcommand(1);

  auto* table =
      report->add_subcommand("table", "Markdown tables (and CSV, SVG plots) of a scores.json");
  table->add_option("scores", args->scores, "scores.json of a run")->required();
  table->add_option("--out", args->out_dir, "Write report.md, scores.csv and plots/ here");
  table->callback([args] {
    const auto scores = eval::read_scores(args->scores);
    if (args->out_dir.empty()) {
      std::cout << "## Scores\n\n"
                << eval::score_table(scores.runs, scores.titles)
                << "\n## Efficiency (per example)\n\n"
                << eval::efficiency_table(scores.runs, scores.titles);
      return;
    }
    std::cerr << "report: wrote "
              << eval::write_report(args->out_dir, {args->scores, "", scores, {}, std::nullopt})
              << ", scores.csv and plots/\n";
  });

  auto* compare = report->add_subcommand(
      "compare", "Exit 1 when a score of NEW drops below OLD by more than the tolerance");
  compare->add_option("old", args->before, "scores.json of the earlier run")->required();
  compare->add_option("new", args->after, "scores.json of the later run")->required();
  compare->add_option("--tolerance", args->tolerance, "Points a score may drop")
      ->check(non_negative());
  compare->callback([args] {
    const auto found = eval::regressions(eval::read_scores(args->before).runs,
                                         eval::read_scores(args->after).runs, args->tolerance);
    for (const auto& line : found) std::cout << "regression: " << line << "\n";
    if (!found.empty()) throw Error(std::to_string(found.size()) + " score(s) dropped");
    std::cout << "no regression beyond " << args->tolerance << " points\n";
  });
}

}  // namespace

void register_eval_commands(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* command = app.add_subcommand(
      "eval", "Score a predictions JSONL (EM, F1, accuracy, bootstrap 95% intervals)");
  command
      ->add_option("--predictions", args->predictions,
                   "JSONL of {\"prediction\", \"golden_answers\"} or {\"prediction\", \"answer\"}")
      ->required();
  command->add_option("--against", args->against,
                      "A second system's predictions on the same examples: paired bootstrap test");
  command->add_option("--resamples", args->resamples, "Bootstrap resamples")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}));
  command->add_option("--seed", args->seed, "Bootstrap seed")->check(non_negative());
  command->callback([args] {
    const auto scores = eval::score_predictions(args->predictions);
    auto summary = eval::summarize(scores, args->resamples, args->seed);
    if (!args->against.empty()) {
      const auto other = eval::score_predictions(args->against);
      summary = {{"a", summary},
                 {"b", eval::summarize(other, args->resamples, args->seed)},
                 {"a_minus_b", eval::compare(scores, other, args->resamples, args->seed)}};
    }
    std::cout << summary.dump() << "\n";
  });
  register_report_commands(app);
}

}  // namespace kvchain::app
