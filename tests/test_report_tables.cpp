// The suite's tables and regression gate (eval/report_tables.h, eval/scores_file.h).
#include <gtest/gtest.h>

#include <fstream>

#include "eval/report_tables.h"
#include "test_support.h"

namespace kvchain::eval {
namespace {

ScoreRow row(const std::string& task, const std::string& method, int64_t seed, double em) {
  ScoreRow r;
  r.task = task;
  r.method = method;
  r.seed = seed;
  r.n = 10;
  r.scores = {{"em", em}};
  r.prefilled_tokens = 100;
  r.latency_s = 0.5;
  r.kv_bytes = 1048576;
  return r;
}

TEST(ReportTables, SeedsAverageAndTheBestNonChainNumberIsBold) {
  const std::vector<ScoreRow> rows = {row("cqa", "text", 0, 30), row("cqa", "shared", 0, 20),
                                      row("cqa", "shared", 1, 10), row("cqa", "rag", 0, 14)};
  const auto table = score_table(rows);
  EXPECT_NE(table.find("| FTHSS | **15.0** |"), std::string::npos) << table;
  EXPECT_NE(table.find("| Chain of models (text) | 30.0 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| Standard RAG | 14.0 |"), std::string::npos) << table;
  // Groups in the paper's order, each once.
  const auto single = table.find("*Single Model*"), chain = table.find("*Chain of Models*"),
             stream = table.find("*Streamlining*");
  EXPECT_LT(single, chain);
  EXPECT_LT(chain, stream);
  EXPECT_EQ(table.find("Native"), std::string::npos);  // no rows for methods that did not run
  EXPECT_NE(efficiency_table(rows).find("| FTHSS | 100.0 | 0.500 | 1.00 |"), std::string::npos);
}

TEST(ReportTables, EachTaskMetricGetsABarChartWithABarPerMethod) {
  auto rag = row("cqa", "rag", 0, 14);
  rag.scores["f1"] = 20;
  const auto plots = score_plots({row("cqa", "text", 0, 30), rag});
  ASSERT_EQ(plots.size(), 2u);  // em, and f1 which only rag reports
  const auto& em = plots.at("cqa-em.svg");
  EXPECT_EQ(em.rfind("<svg", 0), 0u);
  EXPECT_NE(em.find(">Standard RAG</text>"), std::string::npos);
  EXPECT_NE(em.find(">30.0</text>"), std::string::npos);
  EXPECT_EQ(plots.at("cqa-f1.svg").find("Chain of models"), std::string::npos);
}

TEST(ReportTables, AnUnknownMethodIsRefusedByName) {
  EXPECT_NE(test::error_message([] {
              score_table({row("cqa", "magic", 0, 1)});
            }).find("unknown method 'magic'"),
            std::string::npos);
}

TEST(ReportTables, RegressionsAreDropsBeyondTheToleranceAndMissingScores) {
  const std::vector<ScoreRow> before = {row("cqa", "text", 0, 30), row("cqa", "shared", 0, 20)};
  EXPECT_TRUE(
      regressions(before, {row("cqa", "text", 0, 29), row("cqa", "shared", 0, 25)}, 1.0).empty());
  const auto found = regressions(before, {row("cqa", "text", 0, 28.9)}, 1.0);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], "cqa text em: 30.0 -> 28.9 (-1.1 points, tolerance 1.0)");
  EXPECT_EQ(found[1], "cqa shared em: missing from the new run");
}

TEST(ScoresFile, RoundTripsAndNamesTheBadField) {
  test::TempDir dir;
  const auto path = dir.file("scores.json");
  const std::vector<ScoreRow> rows = {row("cqa", "text", 3, 12.5)};
  std::ofstream(path) << scores_json(rows).dump();
  const auto back = read_scores(path);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].seed, 3);
  EXPECT_EQ(back[0].scores.at("em"), 12.5);
  auto bad = scores_json(rows);
  bad["runs"][0]["latency_s"] = "fast";
  std::ofstream(path) << bad.dump();
  EXPECT_NE(test::error_message([&] {
              read_scores(path);
            }).find("runs[0]: field 'latency_s': expected a number, got string"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain::eval
