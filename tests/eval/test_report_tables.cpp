// The suite's tables and regression gate (eval/report_tables.h, eval/scores_file.h).
#include <gtest/gtest.h>

#include <fstream>

#include "eval/latency_plot.h"
#include "eval/report_findings.h"
#include "eval/report_tables.h"
#include "tests/support/test_support.h"

namespace kvchain::eval {
namespace {

ScoreRow row(const std::string& task, const std::string& method, int64_t seed, double em) {
  ScoreRow r;
  r.task = task;
  r.method = parse_system(method);
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
  // A column where every method outside the chain ties has no best.
  EXPECT_EQ(score_table({row("cqa", "rag", 0, 0), row("cqa", "single", 0, 0)}).find("**"),
            std::string::npos);
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
  ScoresFile scores;
  scores.runs = {row("cqa", "text", 3, 12.5)};
  scores.runs[0].intervals["em"] = {4.5, 20};
  scores.paired = {{"cqa", System::kShared, System::kText, "em", 3, 10, -2.5, -7, 1, 0.25}};
  std::ofstream(path) << scores_json(scores).dump();
  const auto back = read_scores(path);
  ASSERT_EQ(back.runs.size(), 1u);
  EXPECT_EQ(back.runs[0].seed, 3);
  EXPECT_EQ(back.runs[0].scores.at("em"), 12.5);
  EXPECT_EQ(back.runs[0].intervals.at("em"), std::make_pair(4.5, 20.0));
  ASSERT_EQ(back.paired.size(), 1u);
  EXPECT_EQ(back.paired[0].b, System::kText);
  EXPECT_EQ(back.paired[0].p, 0.25);
  auto bad = scores_json(scores);
  bad["runs"][0]["latency_s"] = "fast";
  std::ofstream(path) << bad.dump();
  EXPECT_NE(test::error_message([&] {
              read_scores(path);
            }).find("runs[0]: field 'latency_s': expected a number, got string"),
            std::string::npos);
}

TEST(ReportFindings, EachFindingGetsAPlainVerdictPerTaskWithItsNumbers) {
  auto text = row("cqa", "text", 0, 30), shared = row("cqa", "shared", 0, 20);
  shared.prefilled_tokens = 60;
  const std::vector<ScoreRow> rows = {row("cqa", "rag", 0, 14), text, shared,
                                      row("cqa", "distill", 0, 25)};
  const std::vector<PairedResult> paired = {
      {"cqa", System::kShared, System::kText, "em", 0, 10, -10, -18, -3, 0.008}};
  const auto found = findings(rows, paired);
  EXPECT_NE(found.find("- The chain of models beats every single model: holds on 1 of 1 tasks "
                       "judged (0 at the floor)\n"
                       "  - cqa: EM Chain of models (text) 30.0 vs Standard RAG 14.0: holds"),
            std::string::npos)
      << found;
  EXPECT_NE(found.find("  - cqa: EM FTHSS 20.0 vs Chain of models (text) 30.0 (paired -10.0 "
                       "[-18.0, -3.0], p = 0.008): **does not hold**"),
            std::string::npos)
      << found;
  EXPECT_NE(found.find("- FTHSS beats Distill: holds on 0 of 1 tasks"), std::string::npos);
  // Scores of 0 on both sides say nothing about the finding.
  const auto floor = findings({row("mr", "text", 0, 0), row("mr", "shared", 0, 0)}, {});
  EXPECT_NE(floor.find("holds on 0 of 0 tasks judged (1 at the floor)\n  - mr: EM FTHSS 0.0 vs "
                       "Chain of models (text) 0.0: not judged (every score compared is 0)"),
            std::string::npos)
      << floor;
  EXPECT_NE(found.find("  - cqa: 60.0 vs 100.0 tokens per example: holds"), std::string::npos);
  // A run without the methods a finding compares says so instead of judging.
  EXPECT_NE(findings({row("cqa", "rag", 0, 1)}, {})
                .find("FTHSS beats Distill: not measured (the run lacks its methods)"),
            std::string::npos);
}

TEST(ReportFindings, IntervalsAndPairedTestsAreListedPerRun) {
  auto r = row("cqa", "shared", 2, 20);
  r.intervals["em"] = {10, 30};
  EXPECT_NE(intervals_table({r}).find("| cqa | FTHSS | 2 | 10 | EM 20.0 [10.0, 30.0] |"),
            std::string::npos);
  EXPECT_NE(paired_table({{"cqa", System::kShared, System::kDistill, "f1", 0, 10, 1.5, -2, 5, 0.4}})
                .find("| cqa | FTHSS − Distill | 0 | f1 | 10 | 1.5 | [-2.0, 5.0] | 0.400 |"),
            std::string::npos);
}

TEST(LatencyPlot, TheLastTurnsLatencyAgainstWhatTheEarlierTurnsWrote) {
  test::TempDir dir;
  const auto path = dir.file("p.jsonl");
  std::ofstream(path)
      << R"({"turns":[{"decoded":7,"prefill_s":1,"decode_s":1},{"decoded":3,"prefill_s":0.25,"decode_s":0.5}]})"
      << "\n"
      << R"({"turns":[{"decoded":4,"prefill_s":1,"decode_s":1}]})"
      << "\n";
  const auto points = latency_points(path, "cqa", System::kShared);
  ASSERT_EQ(points.size(), 1u);  // one turn: no intermediate result
  EXPECT_EQ(points[0].intermediate_tokens, 7);
  EXPECT_EQ(points[0].seconds, 0.75);
  const auto plots = latency_plots(points);
  ASSERT_EQ(plots.count("cqa-latency.svg"), 1u);
  EXPECT_NE(plots.at("cqa-latency.svg").find(">FTHSS</text>"), std::string::npos);
  std::ofstream(path) << R"({"turns":[{"decoded":"x"},{}]})"
                      << "\n";
  EXPECT_NE(test::error_message([&] {
              latency_points(path, "cqa", System::kShared);
            }).find("p.jsonl:1: turns[0]: field 'decoded'"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain::eval
