// The layouts every method and run mode derive from a task's texts (tasks/layouts.h).
#include <gtest/gtest.h>

#include "tasks/layouts.h"
#include "tests/support/test_support.h"

namespace kvchain::tasks {
namespace {

// Two members, a -> b; each text names what it was built from, so a test can read the
// layout back.
class EchoTask : public Task {
 public:
  std::string name() const override { return "echo"; }
  std::string title() const override { return "Echo"; }
  std::vector<std::string> members() const override { return {"a", "b"}; }
  std::string shared(const Json&, const std::string&) const override { return "Q\n"; }
  std::string input(const Json&, const std::string&, size_t turn, ChainMode mode,
                    const std::vector<std::string>& earlier) const override {
    std::string text = "in" + std::to_string(turn) + (mode == ChainMode::kShared ? "s" : "t");
    for (const auto& e : earlier) text += "[" + e + "]";
    return text;
  }
  std::string target(const Json&, const std::string&, size_t turn) const override {
    return "out" + std::to_string(turn);
  }
  int64_t max_new_tokens(size_t member) const override { return 10 + static_cast<int64_t>(member); }
  std::string distill_target(const Json&, const std::string&) const override { return "all"; }
  std::string answer_from_distilled(const std::string& output) const override { return output; }
  int64_t distill_max_new_tokens() const override { return 30; }
  std::string single_input(const Json&, const std::string&, bool with_passages) const override {
    return with_passages ? "passages" : "bare";
  }
};

class LayoutTest : public ::testing::Test {
 protected:
  LayoutTest()
      : tokenizer_(Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json")),
        builder_(task_, tokenizer_, 2) {}
  std::string text(const LayoutPart& part) const { return tokenizer_.decode(part.ids); }
  EchoTask task_;
  Tokenizer tokenizer_;
  LayoutBuilder builder_;
  Json record_ = {{"golden_answers", {"gold"}}};
};

TEST_F(LayoutTest, FthssTrainingGivesEachMemberTheEarlierTargetsAsTheSharedModeInput) {
  const auto sequences = builder_.training(record_, "r", "b", Training::kFthss);
  ASSERT_EQ(sequences.size(), 1u);
  const auto& parts = sequences[0];
  ASSERT_EQ(parts.size(), 7u);  // shared, P_a, x_a, y_a, P_b, x_b, y_b
  EXPECT_EQ(text(parts[2]), "in0s");
  EXPECT_EQ(text(parts[3]), " out0");  // an output follows its tag after a space
  EXPECT_FALSE(parts[3].loss);
  EXPECT_EQ(text(parts[5]), "in1s[out0]");
  EXPECT_EQ(text(parts[6]), " out1");
  EXPECT_TRUE(parts[6].loss);
}

TEST_F(LayoutTest, TheSingleModelBaselinesRunOneTurnOfTheSingleMember) {
  for (const auto system : {System::kNative, System::kRag, System::kSingle}) {
    const auto turn = builder_.next_turn(record_, "r", system, {});
    ASSERT_TRUE(turn.has_value());
    EXPECT_EQ(turn->member, kSingleMember);
    EXPECT_EQ(tokenizer_.decode(turn->input_ids), system == System::kNative ? "bare" : "passages");
    EXPECT_EQ(turn->max_new_tokens, 11);  // the last member's answer length
    EXPECT_FALSE(builder_.next_turn(record_, "r", system, {TurnRecord{}}).has_value());
  }
  const auto sequences = builder_.training(record_, "r", kSingleMember, Training::kSingle);
  ASSERT_EQ(sequences.size(), 1u);
  const auto& parts = sequences[0];
  ASSERT_EQ(parts.size(), 4u);  // shared, P, passages, answer
  EXPECT_EQ(text(parts[2]), "passages");
  EXPECT_EQ(text(parts[3]), " gold");
  EXPECT_TRUE(parts[3].loss);
}

TEST_F(LayoutTest, EachModeNamesTheAdaptersItReads) {
  using V = std::vector<std::string>;
  EXPECT_EQ(adapters_of(task_, System::kText), (V{"a", "b"}));
  EXPECT_EQ(adapters_of(task_, System::kShared), (V{"a", "b"}));
  EXPECT_EQ(adapters_of(task_, System::kDistill), (V{kDistillMember}));
  EXPECT_EQ(adapters_of(task_, System::kSingle), (V{kSingleMember}));
  EXPECT_TRUE(adapters_of(task_, System::kNative).empty());
  EXPECT_TRUE(adapters_of(task_, System::kRag).empty());
  EXPECT_EQ(eval::parse_system("rag"), System::kRag);
  EXPECT_EQ(parse_training("single"), Training::kSingle);
}

}  // namespace
}  // namespace kvchain::tasks
