#include <gtest/gtest.h>

#include "eval/metrics.h"
#include "tests/support/test_support.h"

namespace kvchain::eval {
namespace {

TEST(SquadMetrics, MatchesEveryReferenceCase) {
  const auto path = test::fixtures_dir() + "/squad_metric_cases.json";
  const auto cases = read_json_file(path);
  ASSERT_GE(cases.size(), 100u);
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const auto prediction = c["prediction"].get<std::string>();
    const auto gold = c["golden_answers"].get<std::vector<std::string>>();
    EXPECT_EQ(exact_match(prediction, gold), c["em"].get<double>()) << "case " << i;
    EXPECT_NEAR(token_f1(prediction, gold), c["f1"].get<double>(), 1e-9) << "case " << i;
  }
}

TEST(SquadMetrics, NormalisesCaseArticlesPunctuationAndSpace) {
  EXPECT_EQ(normalize_answer("  The  Café, an ÉTÉ!\t"), "café été");
  EXPECT_EQ(normalize_answer("theory a-b"), "theory ab");
  EXPECT_EQ(token_f1("", {"x"}), 0.0);
  EXPECT_EQ(exact_match("", {""}), 1.0);
}

}  // namespace
}  // namespace kvchain::eval
