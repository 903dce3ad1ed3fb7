// The suite's tables, plots and regression gate (eval/report_tables.h, eval/scores_file.h).
#include <gtest/gtest.h>

#include <fstream>

#include "eval/latency_plot.h"
#include "eval/report_ablation.h"
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

TEST(ReportTables, TasksShowTheirTitlesAndKeepTheirLabelsAsKeys) {
  const TaskTitles titles = {{"compression_qa", "Compression&QA"},
                             {"compression_qa hqa", "Compression&QA (hqa)"}};
  const std::vector<ScoreRow> rows = {row("compression_qa", "text", 0, 30),
                                      row("compression_qa hqa", "text", 0, 20),
                                      row("active_rag", "text", 0, 10)};
  const auto table = score_table(rows, titles);
  // A label without a title (a scores.json saved before titles) shows as itself.
  EXPECT_EQ(
      table.rfind("| Method | Compression&QA EM | Compression&QA (hqa) EM | active_rag EM |\n", 0),
      0u)
      << table;
  EXPECT_NE(efficiency_table(rows, titles).find("| Compression&QA (hqa) prefilled tokens |"),
            std::string::npos);
  const auto plots = score_plots(rows, titles);
  ASSERT_EQ(plots.count("compression_qa hqa-em.svg"), 1u);  // file names keep the labels
  EXPECT_NE(plots.at("compression_qa hqa-em.svg")
                .find(">Compression&amp;QA (hqa): EM (0-100, bars: bootstrap 95% interval)</text>"),
            std::string::npos);
  EXPECT_NE(scores_csv(rows).find("\ncompression_qa hqa,text,"), std::string::npos);
  const auto latency = latency_plots({{"compression_qa", System::kText, 4, 0.5}}, titles)
                           .at("compression_qa-latency.svg");
  EXPECT_NE(latency.find(">Compression&amp;QA: last member's latency"), std::string::npos);
}

// The number of times `needle` occurs in `text`.
size_t occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(ReportTables, EachBarHasItsBootstrapIntervalAsAnErrorBar) {
  // The axis runs from x = 220 (0) to 580 (100), a bar per 24 pixels from y = 30.
  auto text = row("cqa", "text", 0, 30), rag = row("cqa", "rag", 0, 14);
  text.intervals["em"] = {20, 40};
  rag.intervals["em"] = {5, 25};
  // With several seeds, the bar's interval is the means of the seeds' lows and highs.
  auto shared0 = row("cqa", "shared", 0, 20), shared1 = row("cqa", "shared", 1, 30);
  shared0.intervals["em"] = {10, 30};
  shared1.intervals["em"] = {20, 40};
  const auto svg = score_plots({text, rag, shared0, shared1}).at("cqa-em.svg");
  EXPECT_EQ(occurrences(svg, "<rect "), 3u);
  EXPECT_EQ(occurrences(svg, "<g class=\"error-bar\""), 3u) << svg;
  // Standard RAG, the first bar: the line at the bar's middle, a tick at each end.
  EXPECT_NE(svg.find("<g class=\"error-bar\" stroke=\"black\">"
                     "<line x1=\"238.0\" y1=\"41\" x2=\"310.0\" y2=\"41\"/>"
                     "<line x1=\"238.0\" y1=\"36\" x2=\"238.0\" y2=\"46\"/>"
                     "<line x1=\"310.0\" y1=\"36\" x2=\"310.0\" y2=\"46\"/></g>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("<line x1=\"292.0\" y1=\"65\" x2=\"364.0\" y2=\"65\"/>"),
            std::string::npos);  // the text chain, [20, 40]
  EXPECT_NE(svg.find("<line x1=\"274.0\" y1=\"89\" x2=\"346.0\" y2=\"89\"/>"),
            std::string::npos);  // FTHSS, [15, 35]
  // Runs saved without intervals draw no error bar.
  EXPECT_EQ(score_plots({row("cqa", "text", 0, 30)}).at("cqa-em.svg").find("error-bar"),
            std::string::npos);
}

// An ablation's line shows both settings' scores with their intervals, and names the higher
// setting only where the paired interval excludes 0.
TEST(ReportTables, AnAblationNamesTheHigherSettingOnlyWhereItsIntervalDecides) {
  Ablation ablation;
  ablation.main_label = "prompt, 50 virtual tokens";
  ablation.variant_label = "prefix, 50 virtual tokens";
  for (const char* method : {"text", "shared"}) {
    ablation.main.push_back(row("compression_qa", method, 0, 40));
    ablation.variant.push_back(row("compression_qa", method, 0, 50));
  }
  ablation.main[0].intervals["em"] = {35, 45};
  ablation.paired.push_back(
      {"compression_qa", System::kText, System::kText, "em", 0, 400, 10, 4, 16, 0.002});
  ablation.paired.push_back(
      {"compression_qa", System::kShared, System::kShared, "em", 0, 400, 10, -2, 22, 0.1});
  const auto table = ablation_table(ablation, {{"compression_qa", "Compression&QA"}});
  EXPECT_NE(table.find("| Task | Method | Seed | Metric | n | prompt, 50 virtual tokens | "
                       "prefix, 50 virtual tokens |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| Compression&QA | Chain of models (text) | 0 | em | 400 | 40.0 [35.0, "
                       "45.0] | 50.0 | 10.0 [4.0, 16.0] | 0.002 | prefix, 50 virtual tokens |"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| FTHSS | 0 | em | 400 | 40.0 | 50.0 | 10.0 [-2.0, 22.0] | 0.100 | not "
                       "decided (a decision needs n = "),
            std::string::npos)
      << table;
  ablation.paired[1].low = -20;
  ablation.paired[1].high = -1;
  EXPECT_NE(ablation_table(ablation).find("| prompt, 50 virtual tokens |\n"), std::string::npos);
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
  scores.paired = {{"cqa", System::kShared, System::kText, "em", 3, 10, -2.5, -7, 1, 0.25, 6},
                   {"cqa", System::kText, System::kSingle, "em", 3, 10, 0, 0, 0, 1}};
  scores.titles = {{"cqa", "Compression&QA"}};
  std::ofstream(path) << scores_json(scores).dump();
  const auto back = read_scores(path);
  EXPECT_EQ(back.titles, scores.titles);
  ASSERT_EQ(back.runs.size(), 1u);
  EXPECT_EQ(back.runs[0].seed, 3);
  EXPECT_EQ(back.runs[0].scores.at("em"), 12.5);
  EXPECT_EQ(back.runs[0].intervals.at("em"), std::make_pair(4.5, 20.0));
  ASSERT_EQ(back.paired.size(), 2u);
  EXPECT_EQ(back.paired[0].b, System::kText);
  EXPECT_EQ(back.paired[0].p, 0.25);
  EXPECT_EQ(back.paired[0].differing, 6);
  EXPECT_EQ(back.paired[1].differing, std::nullopt);  // a test that did not count them
  auto bad = scores_json(scores);
  bad["runs"][0]["latency_s"] = "fast";
  std::ofstream(path) << bad.dump();
  EXPECT_NE(test::error_message([&] {
              read_scores(path);
            }).find("runs[0]: field 'latency_s': expected a number, got string"),
            std::string::npos);
  auto bad_title = scores_json(scores);
  bad_title["titles"]["cqa"] = 3;
  std::ofstream(path) << bad_title.dump();
  EXPECT_NE(test::error_message([&] {
              read_scores(path);
            }).find("scores.json: field 'titles.cqa': expected a string, got number"),
            std::string::npos);
  // The samples, written before titles (and paired tests), are read with neither.
  for (const char* sample : {"scores_before.json", "scores_after.json"}) {
    const auto saved = read_scores(test::data_sample(sample));
    EXPECT_FALSE(saved.runs.empty()) << sample;
    EXPECT_TRUE(saved.titles.empty()) << sample;
  }
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
