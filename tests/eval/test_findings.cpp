// The paper's findings decided by paired tests (eval/verdict.h, eval/report_findings.h).
#include <gtest/gtest.h>

#include "eval/bootstrap.h"
#include "eval/report_findings.h"
#include "eval/verdict.h"

namespace kvchain::eval {
namespace {

// A paired test with its difference at the interval's middle, on 100 examples.
PairedResult test_of(const std::string& task, System a, System b, double low, double high,
                     const std::string& metric = "em", int64_t seed = 0) {
  return {task, a, b, metric, seed, 100, (low + high) / 2, low, high, 0.5};
}

PairedResult interval(double low, double high) {
  return test_of("t", System::kShared, System::kText, low, high);
}

ScoreRow run(const std::string& task, System method, double em, double prefilled = 100,
             int64_t seed = 0) {
  ScoreRow r;
  r.task = task;
  r.method = method;
  r.seed = seed;
  r.n = 100;
  r.scores = {{"em", em}};
  r.prefilled_tokens = prefilled;
  return r;
}

const Claim kBeats{Claim::kBeats}, kWithin{Claim::kWithin, kFewPoints};

TEST(Verdict, ABeatsBWhenTheIntervalLiesAboveZero) {
  EXPECT_EQ(decide(kBeats, interval(0.5, 3)), Verdict::kHolds);
  EXPECT_EQ(decide(kBeats, interval(-3, -1)), Verdict::kDoesNotHold);
  EXPECT_EQ(decide(kBeats, interval(-3, 0)), Verdict::kDoesNotHold);  // at or below 0
  EXPECT_EQ(decide(kBeats, interval(0, 0)), Verdict::kDoesNotHold);   // a tie at the floor
  EXPECT_EQ(decide(kBeats, interval(0, 2)), Verdict::kNotDecided);    // not above 0
  EXPECT_EQ(decide(kBeats, interval(-1, 2)), Verdict::kNotDecided);
}

TEST(Verdict, WithinTheBandWhenTheIntervalLiesInsideIt) {
  EXPECT_EQ(decide(kWithin, interval(-3, 3)), Verdict::kHolds);
  EXPECT_EQ(decide(kWithin, interval(-2.9, 1)), Verdict::kHolds);
  EXPECT_EQ(decide(kWithin, interval(3.5, 6)), Verdict::kDoesNotHold);
  EXPECT_EQ(decide(kWithin, interval(-8, -3.1)), Verdict::kDoesNotHold);
  EXPECT_EQ(decide(kWithin, interval(-4, 1)), Verdict::kNotDecided);
  EXPECT_EQ(decide(kWithin, interval(2, 4)), Verdict::kNotDecided);
  EXPECT_EQ(decide(kWithin, interval(3, 5)), Verdict::kNotDecided);  // touches the band
}

TEST(Verdict, TheExamplesADecisionNeedsAtTheObservedVariance) {
  // n * (half width / distance to the boundary)^2, then the next whole example: sd is
  // half width / 1.96 * sqrt(n), and 1.96 * sd / sqrt(m) falls below the distance for m above
  // that.
  EXPECT_EQ(examples_needed(kBeats, interval(-1, 3)), 401);   // 100 * (2 / 1)^2 = 400
  EXPECT_EQ(examples_needed(kBeats, interval(-3, 1)), 401);   // the mean's sign does not matter
  EXPECT_EQ(examples_needed(kWithin, interval(-2, 4)), 226);  // mean 1: 100 * (3 / 2)^2 = 225
  EXPECT_EQ(examples_needed(kWithin, interval(2, 6)), 401);   // mean 4: 1 outside the band
  EXPECT_EQ(examples_needed(kWithin, interval(-5, 1)), 901);  // mean -2: 1 inside the band
  auto small = interval(-1, 3);
  small.n = 10;
  EXPECT_EQ(examples_needed(kBeats, small), 41);
  // The mean on the boundary, or an interval without width: no n clears it.
  EXPECT_EQ(examples_needed(kBeats, interval(-1, 1)), std::nullopt);
  EXPECT_EQ(examples_needed(kWithin, interval(1, 5)), std::nullopt);
  EXPECT_EQ(examples_needed(kWithin, interval(-5, -1)), std::nullopt);
  EXPECT_EQ(examples_needed(kBeats, interval(2, 2)), std::nullopt);
}

// Scores no example differs in (paired_bootstrap_of_scores): within 3 points holds only from
// 122 examples, where no difference bounds the share that could differ under 3%, and a
// decision needs that n, not the normal approximation's.
TEST(Verdict, NoExampleDifferingShowsEqualityOnlyWithEnoughExamples) {
  const auto bounded = [](int64_t n) {
    auto test = interval(-100 * no_difference_bound(n), 100 * no_difference_bound(n));
    test.n = n;
    test.difference = 0;
    test.differing = 0;
    return test;
  };
  EXPECT_EQ(decide(kWithin, bounded(20)), Verdict::kNotDecided);
  EXPECT_EQ(decide(kWithin, bounded(121)), Verdict::kNotDecided);
  EXPECT_EQ(decide(kWithin, bounded(122)), Verdict::kHolds);
  EXPECT_EQ(examples_needed(kWithin, bounded(20)), 122);
  EXPECT_EQ(examples_needed(kWithin, bounded(60)), 122);
  // The same interval from a test that does not say no example differed (a file written before
  // the count was recorded) is read as any other: 20 * (16.84 / 3)^2 examples.
  auto unknown = bounded(20);
  unknown.differing.reset();
  EXPECT_EQ(examples_needed(kWithin, unknown), 631);
}

TEST(Verdict, SeedsMustAgreeAndEveryMetricMustHold) {
  using V = Verdict;
  EXPECT_EQ(across_seeds({V::kHolds, V::kHolds}), V::kHolds);
  EXPECT_EQ(across_seeds({V::kDoesNotHold, V::kDoesNotHold}), V::kDoesNotHold);
  EXPECT_EQ(across_seeds({V::kHolds, V::kDoesNotHold}), V::kNotDecided);
  EXPECT_EQ(across_seeds({V::kHolds, V::kNotDecided}), V::kNotDecided);
  EXPECT_EQ(across_seeds({}), V::kNotDecided);
  EXPECT_EQ(across_metrics({V::kHolds, V::kHolds}), V::kHolds);
  EXPECT_EQ(across_metrics({V::kHolds, V::kNotDecided}), V::kNotDecided);
  EXPECT_EQ(across_metrics({V::kNotDecided, V::kDoesNotHold, V::kHolds}), V::kDoesNotHold);
  EXPECT_EQ(across_metrics({}), V::kNotDecided);
}

// Three tasks where each finding holds on the first, does not hold on the second and is not
// decided on the third.
TEST(ReportFindings, EachFindingHoldsFailsOrIsNotDecidedPerTaskUnderItsTitle) {
  const TaskTitles titles = {
      {"cqa", "Compression&QA"}, {"rqa", "Rewrite&QA"}, {"mr", "Memory&Reasoning"}};
  std::vector<ScoreRow> rows;
  for (const char* task : {"cqa", "rqa", "mr"}) {
    for (const auto& [method, em] : std::vector<std::pair<System, double>>{{System::kNative, 2},
                                                                           {System::kRag, 14},
                                                                           {System::kSingle, 20},
                                                                           {System::kText, 30},
                                                                           {System::kDistill, 24},
                                                                           {System::kShared, 28}}) {
      rows.push_back(run(task, method, em, method == System::kShared ? 100 : 140));
    }
  }
  const auto text = System::kText, shared = System::kShared, single = System::kSingle;
  const std::vector<PairedResult> paired = {
      // The chain against the best single model by mean (Prompt Tuning), not Standard RAG.
      test_of("cqa", text, System::kRag, -9, -1),
      test_of("cqa", text, single, 4, 12),
      test_of("rqa", text, single, -9, -1),
      test_of("mr", text, single, -1, 5),
      test_of("cqa", shared, text, -2, 1),
      test_of("rqa", shared, text, -9, -4),
      test_of("mr", shared, text, -5, 1),
      test_of("cqa", shared, System::kDistill, 1, 7),
      test_of("rqa", shared, System::kDistill, -4, 0),
      test_of("mr", shared, System::kDistill, -1, 3),
      test_of("cqa", text, shared, 30, 50, kPrefilledTokens),
      test_of("rqa", text, shared, -5, 0, kPrefilledTokens),
      test_of("mr", text, shared, -2, 8, kPrefilledTokens)};
  EXPECT_EQ(
      findings(rows, paired, titles),
      "- The chain of models beats every single model: holds on 1, does not hold on 1, not "
      "decided on 1 of 3 tasks\n"
      "  - Compression&QA: EM Chain of models (text) 30.0 vs Prompt Tuning 20.0 (paired 8.0 "
      "[4.0, 12.0], p = 0.500, n = 100): holds\n"
      "  - Rewrite&QA: EM Chain of models (text) 30.0 vs Prompt Tuning 20.0 (paired -5.0 "
      "[-9.0, -1.0], p = 0.500, n = 100): **does not hold**\n"
      "  - Memory&Reasoning: EM Chain of models (text) 30.0 vs Prompt Tuning 20.0 (paired 2.0 "
      "[-1.0, 5.0], p = 0.500, n = 100, a decision needs n = 226 at this variance): not "
      "decided\n"
      "- FTHSS is within 3 points of the chain: holds on 1, does not hold on 1, not decided on 1 "
      "of 3 tasks\n"
      "  - Compression&QA: EM FTHSS 28.0 vs Chain of models (text) 30.0 (paired -0.5 [-2.0, "
      "1.0], p = 0.500, n = 100): holds\n"
      "  - Rewrite&QA: EM FTHSS 28.0 vs Chain of models (text) 30.0 (paired -6.5 [-9.0, -4.0], "
      "p = 0.500, n = 100): **does not hold**\n"
      "  - Memory&Reasoning: EM FTHSS 28.0 vs Chain of models (text) 30.0 (paired -2.0 [-5.0, "
      "1.0], p = 0.500, n = 100, a decision needs n = 901 at this variance): not decided\n"
      "- FTHSS beats Distill: holds on 1, does not hold on 1, not decided on 1 of 3 tasks\n"
      "  - Compression&QA: EM FTHSS 28.0 vs Distill 24.0 (paired 4.0 [1.0, 7.0], p = 0.500, n = "
      "100): holds\n"
      "  - Rewrite&QA: EM FTHSS 28.0 vs Distill 24.0 (paired -2.0 [-4.0, 0.0], p = 0.500, n = "
      "100): **does not hold**\n"
      "  - Memory&Reasoning: EM FTHSS 28.0 vs Distill 24.0 (paired 1.0 [-1.0, 3.0], p = 0.500, "
      "n = 100, a decision needs n = 401 at this variance): not decided\n"
      "- FTHSS prefills fewer tokens than the chain: holds on 1, does not hold on 1, not decided "
      "on 1 of 3 tasks\n"
      "  - Compression&QA: Chain of models (text) 140.0 vs FTHSS 100.0 tokens per example "
      "(paired 40.0 [30.0, 50.0], p = 0.500, n = 100): holds\n"
      "  - Rewrite&QA: Chain of models (text) 140.0 vs FTHSS 100.0 tokens per example (paired "
      "-2.5 [-5.0, 0.0], p = 0.500, n = 100): **does not hold**\n"
      "  - Memory&Reasoning: Chain of models (text) 140.0 vs FTHSS 100.0 tokens per example "
      "(paired 3.0 [-2.0, 8.0], p = 0.500, n = 100, a decision needs n = 278 at this "
      "variance): not decided\n");
}

TEST(ReportFindings, ATaskHoldsOnlyWhereEveryMetricHolds) {
  auto text = run("cqa", System::kText, 30), shared = run("cqa", System::kShared, 29);
  text.scores["f1"] = 40;
  shared.scores["f1"] = 39;
  const auto within = [&](double f1_low, double f1_high) {
    const auto found = findings(
        {text, shared}, {test_of("cqa", System::kShared, System::kText, -2, 0),
                         test_of("cqa", System::kShared, System::kText, f1_low, f1_high, "f1")});
    return found.substr(found.find("- FTHSS is within"));
  };
  EXPECT_NE(within(-2, 1).find("F1 FTHSS 39.0 vs Chain of models (text) 40.0 (paired -0.5 [-2.0, "
                               "1.0], p = 0.500, n = 100): holds\n"),
            std::string::npos)
      << within(-2, 1);
  EXPECT_NE(within(-4, 1).find("at this variance): not decided\n"), std::string::npos);
  EXPECT_NE(within(-8, -4).find("): **does not hold**\n"), std::string::npos);
}

// Both at 0 is a tie at the floor, whatever its interval: the finding is not decided there.
TEST(ReportFindings, ATieAtTheFloorDecidesNothing) {
  const auto found = findings({run("mr", System::kText, 0), run("mr", System::kShared, 0)},
                              {test_of("mr", System::kShared, System::kText, 0, 0)});
  EXPECT_NE(found.find("- FTHSS is within 3 points of the chain: holds on 0, does not hold on 0, "
                       "not decided on 1 of 1 tasks\n"
                       "  - mr: EM FTHSS 0.0 vs Chain of models (text) 0.0 (paired 0.0 [0.0, "
                       "0.0], p = 0.500, n = 100) (both at the floor): not decided\n"),
            std::string::npos)
      << found;
}

TEST(ReportFindings, SeedsThatDisagreeLeaveTheFindingNotDecided) {
  const std::vector<ScoreRow> rows = {
      run("cqa", System::kText, 30, 100, 0), run("cqa", System::kShared, 30, 100, 0),
      run("cqa", System::kText, 30, 100, 1), run("cqa", System::kShared, 24, 100, 1)};
  const auto found =
      findings(rows, {test_of("cqa", System::kShared, System::kText, -1, 1, "em", 0),
                      test_of("cqa", System::kShared, System::kText, -6.5, -3.5, "em", 1)});
  EXPECT_NE(found.find("- FTHSS is within 3 points of the chain: holds on 0, does not hold on 0, "
                       "not decided on 1 of 1 tasks\n"
                       "  - cqa: EM FTHSS 27.0 vs Chain of models (text) 30.0 (seed 0: paired "
                       "0.0 [-1.0, 1.0], p = 0.500, n = 100; seed 1: paired -5.0 [-6.5, -3.5], "
                       "p = 0.500, n = 100): not decided\n"),
            std::string::npos)
      << found;
}

TEST(ReportFindings, WithoutATestOrTheMethodsAFindingSaysSo) {
  const std::vector<ScoreRow> rows = {run("cqa", System::kShared, 20),
                                      run("cqa", System::kDistill, 10)};
  EXPECT_NE(findings(rows, {}).find("  - cqa: EM FTHSS 20.0 vs Distill 10.0 (no paired test): "
                                    "not decided\n"),
            std::string::npos);
  const auto lacking = findings(rows, {});
  for (const char* finding :
       {"- The chain of models beats every single model: not measured (the run lacks its "
        "methods)\n",
        "- FTHSS is within 3 points of the chain: not measured",
        "- FTHSS prefills fewer tokens than the chain: not measured"}) {
    EXPECT_NE(lacking.find(finding), std::string::npos) << finding;
  }
  // A mean on the band's edge: no n would decide it.
  const auto edge = findings({run("cqa", System::kText, 30), run("cqa", System::kShared, 27)},
                             {test_of("cqa", System::kShared, System::kText, -5, -1)});
  EXPECT_NE(edge.find("(paired -3.0 [-5.0, -1.0], p = 0.500, n = 100, the n a decision needs "
                      "cannot be estimated): not decided"),
            std::string::npos)
      << edge;
}

TEST(ReportFindings, IntervalsAndPairedTestsAreListedPerRunUnderTheTaskTitles) {
  auto r = run("cqa", System::kShared, 20, 100, 2);
  r.n = 10;
  r.intervals["em"] = {10, 30};
  const TaskTitles titles = {{"cqa", "Compression&QA"}};
  EXPECT_NE(intervals_table({r}, titles)
                .find("| Compression&QA | FTHSS | 2 | 10 | EM 20.0 [10.0, "
                      "30.0] |"),
            std::string::npos);
  EXPECT_NE(paired_table({{"cqa", System::kShared, System::kDistill, "f1", 0, 10, 1.5, -2, 5, 0.4},
                          {"cqa", System::kText, System::kShared, kPrefilledTokens, 0, 10, 40, 30,
                           50, 0.002}},
                         titles)
                .find("| Compression&QA | FTHSS − Distill | 0 | f1 | 10 | 1.5 | [-2.0, 5.0] | "
                      "0.400 |\n| Compression&QA | Chain of models (text) − FTHSS | 0 | "
                      "prefilled_tokens | 10 | 40.0 | [30.0, 50.0] | 0.002 |"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain::eval
