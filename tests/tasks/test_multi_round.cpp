// Multi-round tasks: turns alternate until the answer marker or the round limit; the cascade
// trains every prompt on one sequence; the text chain re-reads what the shared cache holds.
#include <gtest/gtest.h>

#include "engine/io/error.h"
#include "eval/accuracy.h"
#include "eval/metrics.h"
#include "tasks/layouts.h"
#include "tasks/multi_round_task.h"
#include "tasks/passage_search.h"
#include "tests/support/generated_world.h"
#include "tests/support/test_support.h"

namespace kvchain::tasks {
namespace {

// Members a and b; a's turns also carry what "the system" adds after the earlier output.
class EchoRounds : public MultiRoundTask {
 public:
  EchoRounds() : MultiRoundTask(3) {}
  std::string name() const override { return "echo_rounds"; }
  std::string title() const override { return "Echo"; }
  std::vector<std::string> members() const override { return {"a", "b"}; }
  std::string shared(const Json&, const std::string&) const override { return "Q\n"; }
  int64_t max_new_tokens(size_t member) const override { return 5 + static_cast<int64_t>(member); }
  std::string single_input(const Json&, const std::string&, bool) const override { return "s"; }
  int64_t distill_max_new_tokens() const override { return 30; }

 protected:
  std::string tag(size_t member) const override { return member == 0 ? "<a>" : "<b>"; }
  std::string own_part(const Json& record, const std::string& where, size_t turn,
                       const std::vector<std::string>& earlier) const override {
    const auto tag_text = MultiRoundTask::own_part(record, where, turn, earlier);
    return turn == 0 || turn % 2 == 1 ? tag_text : "{" + earlier.back() + "}" + tag_text;
  }
};

Json step(const std::string& type, const std::string& text) {
  return {{"type", type}, {"text", text}};
}

class MultiRoundLayout : public ::testing::Test {
 protected:
  MultiRoundLayout()
      : tokenizer_(Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json")),
        builder_(task_, tokenizer_, 2) {}
  std::string text(const LayoutPart& part) const { return tokenizer_.decode(part.ids); }
  static TurnRecord said(const std::string& text) {
    TurnRecord turn;
    turn.text = text;
    return turn;
  }
  EchoRounds task_;
  Tokenizer tokenizer_;
  LayoutBuilder builder_;
  // A retrieval step between turns is not a turn.
  Json record_ = {{"golden_answers", {"x"}},
                  {"steps",
                   {step("a", "s0"),
                    step("b", "s1"),
                    {{"type", "retrieval"}, {"text", "p"}},
                    step("a", "s2"),
                    step("b", "s3 [The answer is]: x")}}};
};

TEST_F(MultiRoundLayout, TheCascadePutsEveryPromptFirstAndTrainsEveryOutput) {
  const auto sequences = builder_.training(record_, "r", kAllMembers, Training::kFthss);
  ASSERT_EQ(sequences.size(), 1u);
  const auto& parts = sequences[0];
  ASSERT_EQ(parts.size(), 11u);  // P_a, P_b, shared, then four turns of input and output
  EXPECT_EQ(parts[0].tag, (SegmentTag{"a", SegmentRole::kPrompt}));
  EXPECT_EQ(parts[1].tag, (SegmentTag{"b", SegmentRole::kPrompt}));
  EXPECT_EQ(parts[2].tag.role, SegmentRole::kShared);
  const std::vector<std::string> inputs = {"<a>", "<b>", "{s1}<a>", "<b>"};
  const std::vector<std::string> outputs = {"s0", "s1", "s2", "s3 [The answer is]: x"};
  for (size_t turn = 0; turn < 4; ++turn) {
    const auto& input = parts[3 + 2 * turn];
    const auto& output = parts[4 + 2 * turn];
    const auto member = turn % 2 == 0 ? "a" : "b";
    EXPECT_EQ(input.tag, (SegmentTag{member, SegmentRole::kInput}));
    EXPECT_EQ(text(input), inputs[turn]);
    EXPECT_EQ(output.tag, (SegmentTag{member, SegmentRole::kOutput}));
    EXPECT_EQ(text(output), " " + outputs[turn]);
    EXPECT_TRUE(output.loss);
  }
}

TEST_F(MultiRoundLayout, TheTextChainTrainsAMemberOnEachOfItsTurnsWithTheWholeHistory) {
  const auto sequences = builder_.training(record_, "r", "a", Training::kStandard);
  ASSERT_EQ(sequences.size(), 2u);     // turns 0 and 2
  ASSERT_EQ(sequences[1].size(), 4u);  // shared, P_a, input, output
  EXPECT_EQ(text(sequences[1][2]), "<a> s0\n<b> s1\n{s1}<a>");
  EXPECT_EQ(text(sequences[1][3]), " s2");
  EXPECT_THROW(builder_.training(record_, "r", "a", Training::kFthss), Error);
  EXPECT_THROW(builder_.training(record_, "r", kAllMembers, Training::kStandard), Error);
}

TEST_F(MultiRoundLayout, TheDistilledModelWritesEveryTurnAfterItsTag) {
  EXPECT_EQ(task_.distill_target(record_, "r"), "s0\n<b> s1\n<a> s2\n<b> s3 [The answer is]: x");
  EXPECT_EQ(task_.distill_input(record_, "r"), "<a>");
  EXPECT_EQ(task_.answer_from_distilled("s0\n<b>s3 [The answer is]: x"), "x");
}

TEST_F(MultiRoundLayout, InferenceAlternatesUntilTheAnswerMarkerOrTheRoundLimit) {
  std::vector<TurnRecord> done;
  for (size_t turn = 0; turn < 6; ++turn) {
    const auto plan = builder_.next_turn(record_, "r", System::kShared, done);
    ASSERT_TRUE(plan.has_value()) << turn;
    EXPECT_EQ(plan->member, turn % 2 == 0 ? "a" : "b");
    EXPECT_EQ(plan->max_new_tokens, turn % 2 == 0 ? 5 : 6);
    EXPECT_FALSE(plan->member_done);  // a member may always come again
    done.push_back(said("t" + std::to_string(turn)));
  }
  EXPECT_FALSE(builder_.next_turn(record_, "r", System::kShared, done).has_value());  // 3 rounds

  done = {said("t0"), said(" so [The answer is]: yes ")};
  EXPECT_FALSE(builder_.next_turn(record_, "r", System::kText, done).has_value());
  EXPECT_EQ(builder_.answer(System::kText, done), "yes");
}

TEST_F(MultiRoundLayout, AStepOutOfTurnOrAMissingAnswerIsAnErrorNamingTheStep) {
  Json swapped = record_;
  std::swap(swapped["steps"][0], swapped["steps"][1]);
  try {
    builder_.training(swapped, "f.jsonl:3", kAllMembers, Training::kFthss);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f.jsonl:3: steps[0]: a b step"), std::string::npos)
        << e.what();
  }
  Json unanswered = record_;
  unanswered["steps"].erase(4);
  try {
    builder_.training(unanswered, "f.jsonl:4", kAllMembers, Training::kFthss);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f.jsonl:4: the steps end after 3 turns"),
              std::string::npos)
        << e.what();
  }
}

// The real tasks on a generated world: their gold turns end with the record's answer.
class MultiRoundTasks : public test::GeneratedWorld {
 protected:
  // The gold turns of a record, as training walks them.
  static std::vector<std::string> gold(const Task& task, const Json& record) {
    std::vector<std::string> turns;
    while (task.member_of_turn(turns.size(), turns)) {
      turns.push_back(task.target(record, "r", turns.size()));
    }
    return turns;
  }
};

TEST_F(MultiRoundTasks, MemoryAndReasoningEndsWithTheGoldChoiceWithinTheRoundLimit) {
  const auto task = make_task("memory_reasoning", world_dir());
  size_t choices = 0;
  for (const auto& record : split("memory_reasoning")) {
    const auto turns = gold(*task, record);
    ASSERT_GE(turns.size(), 2u);
    EXPECT_EQ(turns.size() % 2, 0u);  // memory, reason, ...; reasoning answers
    const auto answer = task->final_answer(turns.back());
    EXPECT_EQ(eval::choice_accuracy(answer, task->golden_answers(record, "r")), 1.0) << answer;
    if (record.contains("choices")) {
      ++choices;
      EXPECT_NE(task->shared(record, "r").find("Options:\nA. "), std::string::npos);
    }
  }
  EXPECT_GT(choices, 0u);
  EXPECT_EQ(task->metrics(), std::vector<std::string>{"acc"});
}

TEST_F(MultiRoundTasks, ActiveRagRetrievesWithThePlanAndScoresClaimsByAccuracy) {
  const auto task = make_task("active_rag", world_dir());
  size_t rounds = 0, found = 0, claims = 0;
  for (const auto& record : split("active_rag")) {
    const auto turns = gold(*task, record);
    const auto answer = task->final_answer(turns.back());
    const auto golden = task->golden_answers(record, "r");
    const bool claim = record["type"] == "claim";
    claims += claim;
    EXPECT_EQ(task->metrics_of(record, "r"), std::vector<std::string>{claim ? "acc" : "f1"});
    EXPECT_EQ(claim ? eval::choice_accuracy(answer, golden) : eval::token_f1(answer, golden), 1.0)
        << answer;
    // Each answer turn reads the passage its plan retrieves; the gold one, mostly.
    size_t retrieval = 0;
    for (const auto& step : record["steps"]) {
      if (step["type"] != "retrieval") continue;
      const size_t turn = 2 * retrieval++ + 1;
      const std::vector<std::string> before(turns.begin(), turns.begin() + turn);
      const auto input = task->input(record, "r", turn, ChainMode::kShared, before);
      ++rounds;
      found += input.find(step["text"].get<std::string>()) != std::string::npos;
      EXPECT_EQ(input.substr(input.size() - 14), "<answer_start>");
    }
  }
  EXPECT_GT(claims, 0u);
  EXPECT_GT(found, rounds * 8 / 10) << found << " of " << rounds;
}

TEST_F(MultiRoundTasks, TheTextChainInputHoldsEveryEarlierTurnAndItsPassage) {
  const auto task = make_task("active_rag", world_dir());
  for (const auto& record : split("active_rag")) {
    const auto turns = gold(*task, record);
    if (turns.size() < 4) continue;
    const std::vector<std::string> before(turns.begin(), turns.begin() + 3);
    const auto text = task->input(record, "r", 3, ChainMode::kText, before);
    const auto shared = task->input(record, "r", 3, ChainMode::kShared, before);
    const auto first_answer_part = task->input(record, "r", 1, ChainMode::kShared, {turns[0]});
    EXPECT_EQ(text, "<plan_start> " + turns[0] + "\n" + first_answer_part + " " + turns[1] +
                        "\n<plan_start> " + turns[2] + "\n" + shared);
    return;
  }
  FAIL() << "no multi-hop record";
}

// Memory&Reasoning's inputs, exactly: the question and its options shared, each turn its
// member's tag (shared mode) or every earlier tag and output before it (text mode); the
// single-model baselines answer after the question's passage or after nothing.
TEST_F(MultiRoundTasks, MemoryAndReasoningFormatsEveryInput) {
  const auto task = make_task("memory_reasoning", world_dir());
  const PassageSearch search(world_dir(), 1);
  bool with_choices = false;
  for (const auto& record : split("memory_reasoning")) {
    const auto question = record["question"].get<std::string>();
    std::string shared = "Question: " + question + "\n";
    if (record.contains("choices")) {
      with_choices = true;
      shared += "Options:\n";
      for (const auto& choice : record["choices"]) {
        shared +=
            choice["label"].get<std::string>() + ". " + choice["text"].get<std::string>() + "\n";
      }
    }
    EXPECT_EQ(task->shared(record, "r"), shared);
    const std::vector<std::string> earlier = {"recalled", "reasoned"};
    EXPECT_EQ(task->input(record, "r", 0, ChainMode::kShared, {}), "<memory_start>");
    EXPECT_EQ(task->input(record, "r", 1, ChainMode::kShared, {"recalled"}), "<reason_start>");
    EXPECT_EQ(task->input(record, "r", 2, ChainMode::kText, earlier),
              "<memory_start> recalled\n<reason_start> reasoned\n<memory_start>");
    EXPECT_EQ(task->single_input(record, "r", false), "<answer_start>");
    EXPECT_EQ(task->single_input(record, "r", true),
              search.retrieved({question}) + "<answer_start>");
    EXPECT_EQ(search.retrieved({question}).rfind("<retrieved>\n", 0), 0u);
    EXPECT_EQ(task->distill_input(record, "r"), "<memory_start>");
  }
  EXPECT_TRUE(with_choices);
}

// Active RAG's inputs, exactly, and its fallback: a planner that wrote nothing leaves the
// answerer the passage the question itself retrieves.
TEST_F(MultiRoundTasks, ActiveRagFormatsEveryInputAndFallsBackToTheQuestion) {
  const auto task = make_task("active_rag", world_dir());
  const PassageSearch search(world_dir(), 1);
  size_t differs = 0, records = 0;
  for (const auto& record : split("active_rag")) {
    ++records;
    const auto question = record["question"].get<std::string>();
    EXPECT_EQ(task->shared(record, "r"), "Question: " + question + "\n");
    EXPECT_EQ(task->input(record, "r", 0, ChainMode::kShared, {}), "<plan_start>");
    const std::string plan = "a plan that names nothing in the world";
    EXPECT_EQ(task->input(record, "r", 1, ChainMode::kShared, {plan}),
              search.retrieved({plan}) + "<answer_start>");
    const auto fallback = task->input(record, "r", 1, ChainMode::kShared, {""});
    EXPECT_EQ(fallback, search.retrieved({question}) + "<answer_start>");
    differs += fallback != task->input(record, "r", 1, ChainMode::kShared, {plan});
    EXPECT_EQ(task->distill_input(record, "r"), search.retrieved({question}) + "<plan_start>");
    EXPECT_EQ(task->single_input(record, "r", true),
              search.retrieved({question}) + "<answer_start>");
    EXPECT_EQ(task->single_input(record, "r", false), "<answer_start>");
  }
  // The fallback is the question's passage, not whatever an empty query would find.
  EXPECT_GT(differs, records / 2);
}

}  // namespace
}  // namespace kvchain::tasks
