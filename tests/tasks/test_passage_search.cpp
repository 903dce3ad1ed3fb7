// A task's retriever: BM25 by default, or the dense encoder its settings name, whose index is
// built once in the dataset's folder under a name of its settings.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tasks/passage_search.h"
#include "tests/support/generated_world.h"

namespace kvchain::tasks {
namespace {

namespace fs = std::filesystem;

class PassageSearchTest : public test::GeneratedWorld {
 protected:
  // The index folders the dataset holds.
  static std::vector<std::string> indexes() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(world_dir())) {
      const auto name = entry.path().filename().string();
      if (name.rfind("index-", 0) == 0) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(PassageSearchTest, ADenseEncoderRetrievesFromItsOwnIndex) {
  const auto question = split("rewrite_qa", "test").at(0).at("question").get<std::string>();
  DenseRetrieval dense;
  dense.model = test::data_sample("bert/bert");
  dense.pooling = "cls";
  dense.query_prefix = "query: ";
  const PassageSearch by_encoder(world_dir(), 3, dense);
  const auto found = by_encoder.passages({question});
  EXPECT_EQ(found.size(), 3u);
  const auto names = indexes();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].rfind("index-dense-", 0), 0u) << names[0];
  // BM25 keeps its own index beside it; another pooling is another dense index.
  EXPECT_EQ(PassageSearch(world_dir(), 3).passages({question}).size(), 3u);
  dense.pooling = "mean";
  EXPECT_EQ(PassageSearch(world_dir(), 1, dense).passages({question}).size(), 1u);
  EXPECT_EQ(indexes().size(), 3u);
  EXPECT_EQ(indexes()[0], "index-bm25");
}

}  // namespace
}  // namespace kvchain::tasks
