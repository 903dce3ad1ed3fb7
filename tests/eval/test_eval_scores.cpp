#include <gtest/gtest.h>

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
  // One example of 60 in A's favour is no evidence.
  std::vector<double> c(60, 0.0), d(60, 0.0);
  c[0] = 1.0;
  EXPECT_GT(paired_bootstrap(c, d, 999, 0).p_value, 0.5);
  EXPECT_NE(test::error_message([&] { paired_bootstrap(a, std::vector<double>(3), 10, 0); }), "");
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
  const auto bad = write(
      "n.jsonl", "{\"prediction\":\"x\",\"golden_answers\":[\"x\"],\"metrics\":[\"bleu\"]}\n");
  EXPECT_NE(test::error_message([&] {
              score_predictions(bad);
            }).find("n.jsonl:1: field 'metrics' names 'bleu' (em, f1, acc)"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain::eval
