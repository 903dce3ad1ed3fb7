#include "eval/report_writer.h"

#include <filesystem>

#include "engine/io/atomic_file.h"
#include "eval/report_findings.h"
#include "eval/report_tables.h"

namespace kvchain::eval {

std::string write_report(const std::string& dir, const Report& report) {
  const auto& rows = report.scores.runs;
  const auto& titles = report.scores.titles;
  std::filesystem::create_directories(dir + "/plots");
  std::string figures;
  auto plots = score_plots(rows, titles);
  for (auto& [file, svg] : latency_plots(report.latency, titles)) plots[file] = std::move(svg);
  for (const auto& [file, svg] : plots) {
    write_file_atomic(dir + "/plots/" + file, svg);
    figures += "![" + file + "](plots/" + file + ")\n";
  }
  write_file_atomic(dir + "/scores.csv", scores_csv(rows));
  std::string text =
      "# " + report.title + "\n\n" + (report.provenance.empty() ? "" : report.provenance + "\n\n") +
      "## Scores\n\n" + score_table(rows, titles) + "\n## The paper's findings on this run\n\n" +
      findings(rows, report.scores.paired, titles) + "\n## Efficiency (per example)\n\n" +
      efficiency_table(rows, titles) + "\n## Scores with bootstrap 95% intervals\n\n" +
      intervals_table(rows, titles);
  if (!report.scores.paired.empty()) {
    text += "\n## Paired bootstrap tests\n\n" + paired_table(report.scores.paired, titles);
  }
  if (report.ablation) {
    text += "\n## Ablation: " + report.ablation->variant_label + " against " +
            report.ablation->main_label + "\n\n" + ablation_table(*report.ablation, titles);
  }
  const auto path = dir + "/report.md";
  write_file_atomic(path, text + "\n## Plots\n\n" + figures);
  return path;
}

}  // namespace kvchain::eval
