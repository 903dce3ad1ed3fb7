#include "eval/report_writer.h"

#include <filesystem>

#include "engine/io/atomic_file.h"
#include "eval/report_tables.h"

namespace kvchain::eval {

std::string write_report(const std::string& dir, const std::string& title,
                         const std::vector<ScoreRow>& rows) {
  std::filesystem::create_directories(dir + "/plots");
  std::string figures;
  for (const auto& [file, svg] : score_plots(rows)) {
    write_file_atomic(dir + "/plots/" + file, svg);
    figures += "![" + file + "](plots/" + file + ")\n";
  }
  write_file_atomic(dir + "/scores.csv", scores_csv(rows));
  const auto report = dir + "/report.md";
  write_file_atomic(report, "# " + title + "\n\n## Scores\n\n" + score_table(rows) +
                                "\n## Efficiency (per example)\n\n" + efficiency_table(rows) +
                                "\n## Plots\n\n" + figures);
  return report;
}

}  // namespace kvchain::eval
