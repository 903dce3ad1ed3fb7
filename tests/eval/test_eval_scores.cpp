#include <gtest/gtest.h>

#include <cmath>

#include <fstream>

#include "eval/accuracy.h"
#include "eval/bootstrap.h"
#include "eval/prediction_scores.h"
#include "tests/support/test_support.h"

namespace kvchain::eval {
namespace {

TEST(ChoiceAccuracy, FindsTheCommittedLabel) {
  EXPECT_EQ(choice_accuracy("(B) Paris", {"B"}), 1.0);
  EXPECT_EQ(choice_accuracy("B.", {"b"}), 1.0);
  EXPECT_EQ(choice_accuracy("I think the answer is C.", {"C"}), 1.0);
  EXPECT_EQ(choice_accuracy("A cat sat. So D", {"D"}), 1.0);
  EXPECT_EQ(choice_accuracy("Berlin", {"B"}), 0.0);
  EXPECT_EQ(choice_accuracy("A, not B", {"B"}), 0.0);
}

TEST(ChoiceAccuracy, YesNoAndTrueFalseTakeTheFirstSuchWordOfTheFinalAnswer) {
  EXPECT_EQ(choice_accuracy("1860 is before 1894. [The answer is]: yes", {"yes"}), 1.0);
  EXPECT_EQ(choice_accuracy("Yes, no doubt", {"no"}), 0.0);
  EXPECT_EQ(choice_accuracy("No.", {"no"}), 1.0);
  EXPECT_EQ(choice_accuracy("The claim is FALSE", {"false"}), 1.0);
  EXPECT_EQ(choice_accuracy("true or false? true", {"false"}), 0.0);
  EXPECT_EQ(choice_accuracy("maybe", {"yes"}), 0.0);
}

TEST(ChoiceAccuracy, AChoiceTextMatchesUnderSquadNormalisation) {
  EXPECT_EQ(choice_accuracy("The answer is: the Eiffel Tower.", {"eiffel tower"}), 1.0);
  EXPECT_EQ(choice_accuracy("Eiffel Tower, Paris", {"eiffel tower"}), 0.0);
  EXPECT_EQ(final_answer("no marker here"), "no marker here");
}

TEST(Bootstrap, IntervalsAreSeededAndBracketTheMean) {
  std::vector<double> values;
  for (int i = 0; i < 200; ++i) values.push_back(i % 4 == 0 ? 1.0 : 0.0);  // mean 0.25
  const auto e = bootstrap_mean(values, 500, 7);
  EXPECT_DOUBLE_EQ(e.mean, 0.25);
  EXPECT_LT(e.low, 0.25);
  EXPECT_GT(e.high, 0.25);
  EXPECT_GT(e.low, 0.15);  // the normal approximation gives 0.19 .. 0.31
  EXPECT_LT(e.high, 0.35);
  const auto again = bootstrap_mean(values, 500, 7);
  EXPECT_EQ(again.low, e.low);
  EXPECT_EQ(again.high, e.high);
  const auto constant = bootstrap_mean(std::vector<double>(10, 1.0), 100, 0);
  EXPECT_EQ(constant.low, 1.0);
  EXPECT_EQ(constant.high, 1.0);
}

TEST(Bootstrap, PairedTestSeparatesAClearWinnerFromATie) {
  std::vector<double> a(60, 1.0), b(60, 0.0);
  const auto clear = paired_bootstrap(a, b, 999, 0);
  EXPECT_DOUBLE_EQ(clear.difference.mean, 1.0);
  EXPECT_DOUBLE_EQ(clear.p_value, 2.0 / 1000.0);
  const auto tie = paired_bootstrap(a, a, 999, 0);
  EXPECT_EQ(tie.p_value, 1.0);
  EXPECT_EQ(tie.differing, 0);
  // One example of 60 in A's favour is no evidence.
  std::vector<double> c(60, 0.0), d(60, 0.0);
  c[0] = 1.0;
  EXPECT_GT(paired_bootstrap(c, d, 999, 0).p_value, 0.5);
  EXPECT_NE(test::error_message([&] { paired_bootstrap(a, std::vector<double>(3), 10, 0); }), "");
}

// Scores no example differs in get the exact bound on the share that could differ unseen, not
// the bootstrap's [0, 0]; any difference leaves the bootstrap's interval as it is.
TEST(Bootstrap, ScoresNoExampleDiffersInAreBoundedByTheirCount) {
  std::vector<double> a(20, 1.0);
  const auto tie = paired_bootstrap_of_scores(a, a, 999, 0);
  EXPECT_EQ(tie.difference.mean, 0.0);
  EXPECT_NEAR(tie.difference.high, 0.1684, 1e-4);  // 1 - 0.025^(1/20)
  EXPECT_EQ(tie.difference.low, -tie.difference.high);
  EXPECT_EQ(tie.p_value, 1.0);
  EXPECT_LT(no_difference_bound(122), 0.03);
  EXPECT_GT(no_difference_bound(121), 0.03);
  auto b = a;
  b[3] = 0.0;
  const auto one = paired_bootstrap_of_scores(a, b, 999, 0);
  const auto plain = paired_bootstrap(a, b, 999, 0);
  EXPECT_EQ(one.differing, 1);
  EXPECT_EQ(one.difference.low, plain.difference.low);
  EXPECT_EQ(one.difference.high, plain.difference.high);
  // The bound assumes scores in [0, 1]: a score of 100 (a percentage) is refused.
  b[3] = 100.0;
  EXPECT_NE(test::error_message([&] {
              paired_bootstrap_of_scores(a, b, 999, 0);
            }).find("example 3 of system B scores 100"),
            std::string::npos);
}

// The exact distribution the paired bootstrap samples, computed another way: for per-example
// differences that are wins (+1), losses (-1) and ties (0), a resample of n draws holds
// multinomial counts (w, l, t), and its mean difference is (w - l) / n. Returns
// P(w - l <= 0) when `at_most_zero`, else P(w - l >= 0), summing the multinomial probabilities.
double exact_bootstrap_tail(int wins, int losses, int ties, bool at_most_zero) {
  const int n = wins + losses + ties;
  const double pw = static_cast<double>(wins) / n, pl = static_cast<double>(losses) / n,
               pt = static_cast<double>(ties) / n;
  const auto log_of = [](double p, int k) { return k == 0 ? 0.0 : k * std::log(p); };
  double tail = 0;
  for (int w = 0; w <= n; ++w) {
    for (int l = 0; w + l <= n; ++l) {
      if (at_most_zero ? w - l > 0 : w - l < 0) continue;
      if ((pw == 0 && w > 0) || (pl == 0 && l > 0) || (pt == 0 && n - w - l > 0)) continue;
      const int t = n - w - l;
      tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(w + 1.0) - std::lgamma(l + 1.0) -
                       std::lgamma(t + 1.0) + log_of(pw, w) + log_of(pl, l) + log_of(pt, t));
    }
  }
  return tail;
}

// The paired bootstrap's p-value is twice the share of resamples on the other side of zero (the
// observed sample counted among them): against the exact share, within four Monte Carlo standard
// errors of 20,000 resamples, when A is better, when A is worse, and when they nearly tie.
TEST(Bootstrap, PairedPValuesMatchTheExactBootstrapDistribution) {
  constexpr int64_t kResamples = 20000;
  struct Case {
    int wins, losses, ties;
  };
  for (const auto& c : {Case{12, 5, 43}, Case{5, 12, 43}, Case{8, 7, 45}, Case{20, 6, 14}}) {
    std::vector<double> a, b;
    for (int i = 0; i < c.wins; ++i) a.push_back(1), b.push_back(0);
    for (int i = 0; i < c.losses; ++i) a.push_back(0), b.push_back(1);
    for (int i = 0; i < c.ties; ++i) a.push_back(i % 2), b.push_back(i % 2);
    const bool a_better = c.wins > c.losses;
    const double share = exact_bootstrap_tail(c.wins, c.losses, c.ties, a_better);
    const double expected = std::min(1.0, 2 * share);
    const double tolerance =
        4 * 2 * std::sqrt(share * (1 - share) / kResamples) + 2.0 / (kResamples + 1);
    const auto test = paired_bootstrap(a, b, kResamples, 3);
    const std::string what = std::to_string(c.wins) + " wins, " + std::to_string(c.losses) +
                             " losses, " + std::to_string(c.ties) + " ties";
    EXPECT_NEAR(test.p_value, expected, tolerance) << what;
    EXPECT_DOUBLE_EQ(test.difference.mean,
                     static_cast<double>(c.wins - c.losses) / (c.wins + c.losses + c.ties))
        << what;
    EXPECT_EQ(test.difference.high > 0, true) << what;
    EXPECT_EQ(test.difference.low<0, expected> 0.05) << what;
  }
  // The exact values themselves (the same sums in Python's math.lgamma agree to 1e-12): 12
  // wins and 5 losses in 60 give p = 0.104; 20 wins and 6 losses in 40, p = 0.0044.
  EXPECT_NEAR(2 * exact_bootstrap_tail(12, 5, 43, true), 0.10402, 1e-5);
  EXPECT_NEAR(2 * exact_bootstrap_tail(20, 6, 14, true), 0.0044412, 1e-7);
}

class PredictionFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }
  test::TempDir dir_;
};

TEST_F(PredictionFiles, ScoresEveryMetricInPercentWithIntervals) {
  const auto path = write("p.jsonl",
                          "{\"id\":\"1\",\"prediction\":\"Paris\",\"golden_answers\":[\"paris\"]}\n"
                          "\n"
                          "{\"id\":\"2\",\"prediction\":\"the Paris city\",\"golden_answers\":"
                          "[\"Paris\"]}\n"
                          "{\"id\":\"3\",\"prediction\":\"(C)\",\"answer\":\"C\"}\n");
  const auto summary = summarize(score_predictions(path), 200, 0);
  EXPECT_EQ(summary["n"], 3);
  EXPECT_NEAR(summary["em"].get<double>(), 100.0 * 2 / 3, 1e-9);  // "(C)" normalises to "c"
  EXPECT_NEAR(summary["f1"].get<double>(), 100.0 * (1 + 2.0 / 3 + 1) / 3, 1e-9);
  EXPECT_NEAR(summary["acc"].get<double>(), 100.0 * 2 / 3, 1e-9);
  EXPECT_LE(summary["ci"]["f1"][0].get<double>(), summary["f1"].get<double>());
  EXPECT_GE(summary["ci"]["f1"][1].get<double>(), summary["f1"].get<double>());
}

TEST_F(PredictionFiles, BadRecordsNameTheLineAndTheField) {
  const auto no_gold = write("a.jsonl",
                             "{\"prediction\":\"x\",\"golden_answers\":[\"x\"]}\n"
                             "{\"prediction\":\"x\"}\n");
  EXPECT_NE(test::error_message([&] {
              score_predictions(no_gold);
            }).find("a.jsonl:2: missing field 'golden_answers' (or 'answer' for choices)"),
            std::string::npos);
  const auto number = write("b.jsonl", "{\"prediction\":3,\"answer\":\"B\"}\n");
  EXPECT_NE(test::error_message([&] {
              score_predictions(number);
            }).find("b.jsonl:1: field 'prediction': expected a string, got number"),
            std::string::npos);
  const auto empty = write("c.jsonl", "\n");
  EXPECT_NE(test::error_message([&] { score_predictions(empty); }).find("no predictions"),
            std::string::npos);
}

TEST_F(PredictionFiles, ThePairedTestPairsExamplesById) {
  const auto a = write("a.jsonl",
                       "{\"id\":\"x\",\"prediction\":\"yes\",\"golden_answers\":[\"yes\"]}\n"
                       "{\"id\":\"y\",\"prediction\":\"no\",\"golden_answers\":[\"yes\"]}\n");
  const auto b_same_order =
      write("b.jsonl",
            "{\"id\":\"x\",\"prediction\":\"no\",\"golden_answers\":[\"yes\"]}\n"
            "{\"id\":\"y\",\"prediction\":\"yes\",\"golden_answers\":[\"yes\"]}\n");
  const auto b_swapped =
      write("c.jsonl",
            "{\"id\":\"y\",\"prediction\":\"yes\",\"golden_answers\":[\"yes\"]}\n"
            "{\"id\":\"x\",\"prediction\":\"no\",\"golden_answers\":[\"yes\"]}\n");
  const auto sa = score_predictions(a);
  EXPECT_EQ(compare(sa, score_predictions(b_same_order), 100, 0),
            compare(sa, score_predictions(b_swapped), 100, 0));
  // Differences are in percentage points: one of two right against none is 50.
  const auto wrong = write("e.jsonl",
                           "{\"id\":\"y\",\"prediction\":\"no\",\"golden_answers\":[\"yes\"]}\n"
                           "{\"id\":\"x\",\"prediction\":\"no\",\"golden_answers\":[\"yes\"]}\n");
  const auto tests = compare_metrics(sa, score_predictions(wrong), 100, 0);
  ASSERT_FALSE(tests.empty());
  EXPECT_EQ(tests.front().metric, "em");
  EXPECT_DOUBLE_EQ(tests.front().test.difference.mean, 50.0);
  const auto other = write("d.jsonl",
                           "{\"id\":\"x\",\"prediction\":\"no\",\"golden_answers\":[\"yes\"]}\n"
                           "{\"id\":\"z\",\"prediction\":\"yes\",\"golden_answers\":[\"yes\"]}\n");
  EXPECT_NE(test::error_message([&] {
              compare(sa, score_predictions(other), 100, 0);
            }).find("d.jsonl: no prediction for id 'y'"),
            std::string::npos);
}

TEST_F(PredictionFiles, ARecordsMetricsListScoresItByThoseAlone) {
  // Active RAG mixes claims (accuracy) and multi-hop questions (F1).
  const auto path = write("m.jsonl",
                          "{\"id\":\"1\",\"prediction\":\"false\",\"golden_answers\":[\"true\"],"
                          "\"metrics\":[\"acc\"]}\n"
                          "{\"id\":\"2\",\"prediction\":\"Oslo\",\"golden_answers\":[\"Oslo\"],"
                          "\"metrics\":[\"f1\"]}\n");
  const auto scores = score_predictions(path);
  const auto summary = summarize(scores, 100, 0);
  EXPECT_EQ(summary["acc"].get<double>(), 0.0);  // the claim alone, not the city's 100
  EXPECT_EQ(summary["f1"].get<double>(), 100.0);
  EXPECT_TRUE(summary["em"].is_null());
  EXPECT_EQ(summary["scored"]["acc"], 1);
  const auto tests = compare(scores, scores, 100, 0);
  EXPECT_EQ(tests["f1"]["difference"].get<double>(), 0.0);
  EXPECT_TRUE(tests["em"].is_null());
  std::vector<std::string> compared;
  for (const auto& t : compare_metrics(scores, scores, 100, 0)) compared.push_back(t.metric);
  EXPECT_EQ(compared, (std::vector<std::string>{"f1", "acc"}));
  const auto bad = write(
      "n.jsonl", "{\"prediction\":\"x\",\"golden_answers\":[\"x\"],\"metrics\":[\"bleu\"]}\n");
  EXPECT_NE(test::error_message([&] {
              score_predictions(bad);
            }).find("n.jsonl:1: field 'metrics' names 'bleu' (em, f1, acc)"),
            std::string::npos);
}

TEST_F(PredictionFiles, PrefilledTokensArePairedPerExampleInTokens) {
  // The text chain prefills each turn's input anew; FTHSS's second turn reads the cache.
  const auto text = write("text.jsonl",
                          "{\"id\":\"x\",\"prediction\":\"a\",\"golden_answers\":[\"a\"],"
                          "\"turns\":[{\"prefilled\":100},{\"prefilled\":40}]}\n"
                          "{\"id\":\"y\",\"prediction\":\"a\",\"golden_answers\":[\"a\"],"
                          "\"turns\":[{\"prefilled\":80},{\"prefilled\":30}]}\n");
  const auto shared = write("shared.jsonl",
                            "{\"id\":\"y\",\"prediction\":\"a\",\"golden_answers\":[\"a\"],"
                            "\"turns\":[{\"prefilled\":80},{\"prefilled\":4}]}\n"
                            "{\"id\":\"x\",\"prediction\":\"a\",\"golden_answers\":[\"a\"],"
                            "\"turns\":[{\"prefilled\":100},{\"prefilled\":6}]}\n");
  const auto scores = score_predictions(text);
  EXPECT_EQ(scores.prefilled, (std::vector<double>{140, 110}));
  // x saves 34 tokens and y 26, paired by id: every resample's mean lies within [26, 34].
  const auto test = compare_prefilled(scores, score_predictions(shared), 200, 0);
  EXPECT_EQ(test.difference.mean, 30.0);
  EXPECT_GE(test.difference.low, 26.0);
  EXPECT_LE(test.difference.high, 34.0);
  const auto no_turns = write("bare.jsonl",
                              "{\"id\":\"x\",\"prediction\":\"a\",\"golden_answers\":[\"a\"]}\n"
                              "{\"id\":\"y\",\"prediction\":\"a\",\"golden_answers\":[\"a\"]}\n");
  EXPECT_NE(test::error_message([&] {
              compare_prefilled(scores, score_predictions(no_turns), 200, 0);
            }).find("bare.jsonl: record 'x' has no 'turns', so its prefilled tokens are unknown"),
            std::string::npos);
  const auto bad_turn = write("bad.jsonl",
                              "{\"prediction\":\"a\",\"golden_answers\":[\"a\"],"
                              "\"turns\":[{\"decoded\":3}]}\n");
  EXPECT_NE(test::error_message([&] {
              score_predictions(bad_turn);
            }).find("bad.jsonl:1: turns[0]: missing field 'prefilled'"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain::eval
