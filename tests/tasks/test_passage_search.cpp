// A task's retriever: BM25 by default, or the dense encoder its settings name, whose index is
// built once in the dataset's folder under a name of its settings, and again when an older
// kvchain wrote it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/io/json_file.h"
#include "retrievers/bm25_index_format.h"
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

// A BM25 index an older kvchain wrote (format 1) is rebuilt, not refused: it is the corpus's
// derived index, and a suite over an existing world must still run.
TEST_F(PassageSearchTest, ABm25IndexOfAnOlderFormatIsRebuilt) {
  const auto question = split("rewrite_qa", "test").at(0).at("question").get<std::string>();
  const auto expected = PassageSearch(world_dir(), 3).passages({question});
  const auto index_dir = fs::path(world_dir()) / "index-bm25";
  auto manifest = read_json_file((index_dir / "index.json").string());
  manifest["format_version"] = 1;
  write_json_file_atomic((index_dir / "index.json").string(), manifest);
  {
    std::fstream idx(index_dir / "bm25.idx", std::ios::in | std::ios::out | std::ios::binary);
    idx.seekp(8);  // the format version in the file's prefix
    const uint32_t old_version = 1;
    idx.write(reinterpret_cast<const char*>(&old_version), sizeof(old_version));
  }
  EXPECT_EQ(PassageSearch(world_dir(), 3).passages({question}), expected);
  EXPECT_EQ(read_json_file((index_dir / "index.json").string())["format_version"],
            retrievers::kBm25FormatVersion);
}

}  // namespace
}  // namespace kvchain::tasks
