// Rewrite & QA: the QA member's input holds what BM25 retrieves with the rewriter's queries.
#include <gtest/gtest.h>

#include <filesystem>

#include "tasks/task.h"
#include "tests/support/generated_world.h"

namespace kvchain::tasks {
namespace {

class RewriteQATest : public test::GeneratedWorld {
 protected:
  static void SetUpTestSuite() {
    GeneratedWorld::SetUpTestSuite();
    task_ = make_task("rewrite_qa", world_dir()).release();
    for (const auto& p : test::read_jsonl(world_file("corpus.jsonl"))) {
      corpus_[p["id"].get<std::string>()] = p["contents"].get<std::string>();
    }
  }
  static void TearDownTestSuite() {
    delete task_;
    GeneratedWorld::TearDownTestSuite();
  }
  static std::vector<Json> train() { return split("rewrite_qa"); }
  static inline Task* task_ = nullptr;
  static inline std::map<std::string, std::string> corpus_;
};

TEST_F(RewriteQATest, TheRewriterLearnsTheSubQueriesOnePerLine) {
  const auto record = train().front();
  const auto queries = record["rewritten_queries"].get<std::vector<std::string>>();
  ASSERT_GE(queries.size(), 2u);
  EXPECT_EQ(task_->target(record, "r", 0), queries[0] + "\n" + queries[1]);
  EXPECT_EQ(task_->input(record, "r", 0, ChainMode::kText, {}), "<query_rewrite>");
}

TEST_F(RewriteQATest, GoldSubQueriesRetrieveMostSupportingPassagesAndTheQuestionAloneFewer) {
  size_t found_by_queries = 0, found_by_question = 0, supporting = 0;
  for (const auto& record : train()) {
    const auto queries = task_->target(record, "r", 0);
    const auto with_queries = task_->input(record, "r", 1, ChainMode::kShared, {queries});
    const auto with_nothing = task_->input(record, "r", 1, ChainMode::kShared, {""});
    for (const auto& id : record["supporting_passages"]) {
      const auto& text = corpus_.at(id.get<std::string>());
      ++supporting;
      found_by_queries += with_queries.find(text) != std::string::npos;
      found_by_question += with_nothing.find(text) != std::string::npos;
    }
  }
  EXPECT_GT(found_by_queries, supporting * 6 / 10) << found_by_queries << " of " << supporting;
  EXPECT_LT(found_by_question, found_by_queries);
}

TEST_F(RewriteQATest, TextModeRepeatsTheQueriesSharedModeOnlyAddsThePassages) {
  const auto record = train().front();
  const std::string queries = "Where is Teholm?\nWho founded Mupu Mining?";
  const auto shared = task_->input(record, "r", 1, ChainMode::kShared, {queries});
  const auto text = task_->input(record, "r", 1, ChainMode::kText, {queries});
  EXPECT_EQ(shared.rfind("<retrieved>\n", 0), 0u);
  EXPECT_EQ(shared.find("Where is Teholm?"), std::string::npos);
  EXPECT_EQ(text, "<query_rewrite> " + queries + "\n" + shared);
  EXPECT_EQ(shared.substr(shared.size() - 14), "<answer_start>");
}

TEST_F(RewriteQATest, TheDistilledModelReadsThePassagesOfTheQuestion) {
  const auto record = train().front();
  const auto input = task_->distill_input(record, "r");
  EXPECT_EQ(input.rfind("<retrieved>\n", 0), 0u);
  EXPECT_EQ(input.substr(input.size() - 15), "<query_rewrite>");
  EXPECT_EQ(task_->answer_from_distilled("q1\nq2\n<answer_start> Teholm \n"), "Teholm");
  EXPECT_TRUE(std::filesystem::exists(world_file("index-bm25/index.json")));
}

TEST(RewriteQA, AWorldWithoutACorpusIsRefusedNamingTheFileAtTheFirstSearch) {
  test::TempDir empty;
  const auto task = make_task("rewrite_qa", empty.path().string());
  const Json record = {{"question", "Where?"}};
  EXPECT_NE(test::error_message([&] {
              task->input(record, "r", 1, ChainMode::kShared, {"a query"});
            }).find("corpus.jsonl: no such file"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain::tasks
