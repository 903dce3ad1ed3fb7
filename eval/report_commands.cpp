#include "eval/report_commands.h"

#include <iostream>
#include <memory>

#include "engine/io/error.h"
#include "eval/report_tables.h"
#include "eval/report_writer.h"

namespace kvchain::eval {
namespace {

struct ReportArgs {
  std::string scores, out_dir, before, after;
  double tolerance = 1.0;
};

}  // namespace

void register_report_commands(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand("report", "Paper-style tables of a run, and run comparison");
  report->require_subcommand(1);

  auto* table =
      report->add_subcommand("table", "Markdown tables (and CSV, SVG plots) of a scores.json");
  table->add_option("scores", args->scores, "scores.json of a run")->required();
  table->add_option("--out", args->out_dir, "Write report.md, scores.csv and plots/ here");
  table->callback([args] {
    const auto scores = read_scores(args->scores);
    if (args->out_dir.empty()) {
      std::cout << "## Scores\n\n"
                << score_table(scores.runs) << "\n## Efficiency (per example)\n\n"
                << efficiency_table(scores.runs);
      return;
    }
    std::cerr << "report: wrote " << write_report(args->out_dir, {args->scores, "", scores, {}})
              << ", scores.csv and plots/\n";
  });

  auto* compare = report->add_subcommand(
      "compare", "Exit 1 when a score of NEW drops below OLD by more than the tolerance");
  compare->add_option("old", args->before, "scores.json of the earlier run")->required();
  compare->add_option("new", args->after, "scores.json of the later run")->required();
  compare->add_option("--tolerance", args->tolerance, "Points a score may drop")
      ->check(CLI::NonNegativeNumber);
  compare->callback([args] {
    const auto found =
        regressions(read_scores(args->before).runs, read_scores(args->after).runs, args->tolerance);
    for (const auto& line : found) std::cout << "regression: " << line << "\n";
    if (!found.empty()) throw Error(std::to_string(found.size()) + " score(s) dropped");
    std::cout << "no regression beyond " << args->tolerance << " points\n";
  });
}

}  // namespace kvchain::eval
