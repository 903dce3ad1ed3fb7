// Compression & QA's passages: a record's own retrieval, cut to top_k, or BM25's for the
// question when the record carries none; and every task's title as the paper writes it.
#include <gtest/gtest.h>

#include <map>

#include "tasks/layouts.h"
#include "tasks/task.h"
#include "tests/support/generated_world.h"

namespace kvchain::tasks {
namespace {

class CompressionQATest : public test::GeneratedWorld {
 protected:
  static Json record() { return split("compression_qa").front(); }
  static std::string first_input(const Json& r, int64_t top_k) {
    TaskSettings settings;
    settings.top_k = top_k;
    return make_task("compression_qa", world_dir(), settings)
        ->input(r, "r", 0, ChainMode::kShared, {});
  }
};

TEST_F(CompressionQATest, ARecordsOwnPassagesAreAllReadOrTheFirstTopK) {
  const auto r = record();
  const auto& passages = r["passages"];
  ASSERT_EQ(passages.size(), 5u);
  const auto all = first_input(r, 0), two = first_input(r, 2);
  for (size_t i = 0; i < passages.size(); ++i) {
    const auto text = passages[i]["contents"].get<std::string>();
    EXPECT_NE(all.find(text), std::string::npos) << i;
    EXPECT_EQ(two.find(text) != std::string::npos, i < 2) << i;
  }
  EXPECT_EQ(all.rfind("<retrieved>\n", 0), 0u);
  EXPECT_EQ(all.substr(all.size() - 12), "<compressed>");
}

TEST_F(CompressionQATest, WithoutPassagesBm25RetrievesTopKForTheQuestion) {
  auto r = record();
  const auto gold = r["supporting_passages"][0].get<std::string>();
  std::string gold_text;
  for (const auto& p : r["passages"]) {
    if (p["id"] == gold) gold_text = p["contents"].get<std::string>();
  }
  ASSERT_FALSE(gold_text.empty());
  r.erase("passages");
  const auto one = first_input(r, 0), three = first_input(r, 3);
  // One passage by default, three when asked; the gold one among the three for this question.
  const auto count = [](const std::string& text) {
    size_t n = 0;
    for (size_t at = text.find("\n"); at != std::string::npos; at = text.find("\n", at + 1)) ++n;
    return n;
  };
  EXPECT_LT(count(one), count(three));
  EXPECT_NE(three.find(gold_text), std::string::npos) << three;
}

// Reports show each task under the name the paper gives it.
TEST_F(CompressionQATest, EveryTaskHasThePapersTitle) {
  const std::map<std::string, std::string> titles = {{"compression_qa", "Compression&QA"},
                                                     {"rewrite_qa", "Rewrite&QA"},
                                                     {"memory_reasoning", "Memory&Reasoning"},
                                                     {"active_rag", "Active RAG"},
                                                     {"diagnostic", "Diagnostic"}};
  ASSERT_EQ(task_names().size(), titles.size());
  for (const auto& name : task_names()) {
    EXPECT_EQ(make_task(name, world_dir())->title(), titles.at(name)) << name;
  }
}

// The diagnostic chain: the extractor reads the passages, the copier writes the extractor's
// output again; in every chain system the extractor's turn replays the gold answer, so the
// copier's score measures how its method carries an earlier output.
TEST_F(CompressionQATest, TheDiagnosticForcesTheExtractorsGoldAnswerAndTheCopierRepeatsIt) {
  const auto task = make_task("diagnostic", world_dir());
  const auto r = split("diagnostic").front();
  const auto gold = r["golden_answers"][0].get<std::string>();
  EXPECT_EQ(task->members(), (std::vector<std::string>{"extractor", "copier"}));
  const auto first = task->input(r, "r", 0, ChainMode::kShared, {});
  EXPECT_EQ(first.rfind("<retrieved>\n", 0), 0u);
  EXPECT_NE(first.find(gold), std::string::npos);
  EXPECT_EQ(first.substr(first.size() - 11), "<extracted>");
  EXPECT_EQ(task->input(r, "r", 1, ChainMode::kShared, {gold}), "<copy>");
  EXPECT_EQ(task->input(r, "r", 1, ChainMode::kText, {gold}), "<extracted> " + gold + "\n<copy>");
  EXPECT_EQ(task->target(r, "r", 0), gold);
  EXPECT_EQ(task->target(r, "r", 1), gold);
  EXPECT_EQ(task->answer_from_distilled(gold + "\n<copy> " + gold), gold);

  const auto tokenizer = Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json");
  const LayoutBuilder builder(*task, tokenizer, 2);
  for (const auto system : {System::kText, System::kShared, System::kSharedEvict}) {
    const auto extractor = builder.next_turn(r, "r", system, {});
    ASSERT_TRUE(extractor.has_value());
    EXPECT_EQ(tokenizer.decode(extractor->forced_output), " " + gold) << system_key(system);
    TurnRecord done;
    done.member = "extractor";
    done.text = gold;
    const auto copier = builder.next_turn(r, "r", system, {done});
    ASSERT_TRUE(copier.has_value());
    EXPECT_TRUE(copier->forced_output.empty()) << system_key(system);  // the copier decodes
    EXPECT_FALSE(builder.next_turn(r, "r", system, {done, done}).has_value());
  }
  // The single models and Distill decode their one turn.
  EXPECT_TRUE(builder.next_turn(r, "r", System::kDistill, {})->forced_output.empty());
  EXPECT_TRUE(builder.next_turn(r, "r", System::kRag, {})->forced_output.empty());
}

}  // namespace
}  // namespace kvchain::tasks
