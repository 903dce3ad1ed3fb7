// The dense retriever: FAISS over the tiny fixture model's pooled hidden states, checked against
// vectors computed here straight from the model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "engine/io/text.h"
#include "engine/model/checkpoint.h"
#include "engine/tokenizer/tokenizer.h"
#include "retrievers/corpus.h"
#include "retrievers/dense_index.h"
#include "tests/support/test_support.h"

namespace kvchain::retrievers {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::vector<Passage>& corpus() {
  static const std::vector<Passage> passages = {
      {"fox", "The quick brown fox jumps over the lazy dog."},
      {"empty", ""},
      {"unicode", "Caff\u00e8 cr\u00e8me br\u00fbl\u00e9e \u2014 \u6771\u4eac and Z\u00fcrich"},
      {"paris", "Paris is the capital of France."},
      {"plants", "Photosynthesis converts light into chemical energy in plants."},
      {"short", "A short one."}};
  return passages;
}

std::string write_corpus(const test::TempDir& dir) {
  const auto path = dir.file("corpus.jsonl");
  std::ofstream out(path);
  for (const auto& p : corpus()) out << Json{{"id", p.id}, {"contents", p.contents}}.dump() << "\n";
  return path;
}

DenseIndexOptions options_for(const test::TempDir& dir, const std::string& out, bool hnsw) {
  DenseIndexOptions options;
  options.corpus = write_corpus(dir);
  options.out_dir = dir.file(out);
  options.model_dir = test::tiny_llama_dir();
  if (hnsw) options.faiss.kind = FaissSpec::Kind::hnsw;
  options.batch_size = 4;  // more than one batch, with passages of several lengths in each
  return options;
}

// Mean-pooled, normalised final hidden states of one unpadded text: the reference vectors.
torch::Tensor reference_vector(const std::string& text) {
  static const auto model = [] {
    auto m = load_model(test::tiny_llama_dir(), torch::kCPU);
    m->eval();
    return m;
  }();
  static const auto tokenizer = Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json");
  const auto ids = tokenizer.encode(text);
  if (ids.empty()) return torch::zeros({model->config().hidden_size});
  torch::NoGradGuard no_grad;
  ForwardArgs args;
  args.input_ids = torch::tensor(ids, torch::kInt64).unsqueeze(0);
  const auto pooled = model->forward(args).hidden_states[0].to(torch::kFloat32).mean(0);
  return pooled / pooled.norm();
}

// One flat index over corpus(), shared by the tests that only read it.
class DenseIndex : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    build_dense_index(options_for(*dir_, "flat", false));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string index_dir() { return dir_->file("flat"); }
  static test::TempDir* dir_;
};
test::TempDir* DenseIndex::dir_ = nullptr;

// A copy of the flat index whose file `name` is then rewritten by the test.
std::string copy_index(const test::TempDir& to, const std::string& from) {
  const auto dir = to.file("copy");
  fs::copy(from, dir, fs::copy_options::recursive);
  return dir;
}

TEST_F(DenseIndex, WritesEveryFileAndNoTemporaries) {
  for (const char* name : {"index.json", "embeddings.npy", "faiss.index", "doc_ids.txt"}) {
    EXPECT_TRUE(fs::exists(fs::path(index_dir()) / name)) << name;
  }
  for (const auto& entry : fs::directory_iterator(index_dir())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr(".tmp")));
  }
  const auto manifest = read_json_file(index_dir() + "/index.json");
  EXPECT_EQ(manifest["kind"], "dense");
  EXPECT_EQ(manifest["format_version"], 2);
  EXPECT_EQ(manifest["faiss"], "flat");
  EXPECT_EQ(manifest["checksum"].get<std::string>().size(), 32u);
  EXPECT_EQ(manifest["pooling"], "mean");
  EXPECT_EQ(manifest["dim"], 64);
  EXPECT_EQ(manifest["passages"], 6);
  EXPECT_TRUE(fs::path(manifest["model"].get<std::string>()).is_absolute());
  EXPECT_EQ(read_text_file(index_dir() + "/doc_ids.txt"),
            "fox\nempty\nunicode\nparis\nplants\nshort\n");
}

TEST_F(DenseIndex, EmbeddingsAreANumpyFileOfTheReferenceVectors) {
  const auto bytes = read_text_file(index_dir() + "/embeddings.npy");
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_length = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  const size_t data_start = 10 + header_length;
  EXPECT_EQ(data_start % 64, 0u);
  const auto header = bytes.substr(10, header_length);
  EXPECT_THAT(header, HasSubstr("'descr': '<f4'"));
  EXPECT_THAT(header, HasSubstr("'fortran_order': False"));
  EXPECT_THAT(header, HasSubstr("'shape': (6, 64)"));
  EXPECT_EQ(header.back(), '\n');
  ASSERT_EQ(bytes.size(), data_start + 6 * 64 * sizeof(float));

  auto rows = torch::empty({6, 64}, torch::kFloat32);
  std::memcpy(rows.data_ptr<float>(), bytes.data() + data_start, 6 * 64 * sizeof(float));
  for (size_t i = 0; i < corpus().size(); ++i) {
    EXPECT_LT(test::max_abs_diff(rows[i], reference_vector(corpus()[i].contents)), 1e-4)
        << corpus()[i].id;
  }
  EXPECT_EQ(rows[1].abs().sum().item<float>(), 0.0f) << "the empty passage is the zero vector";
}

TEST_F(DenseIndex, QueryEqualToAPassageFindsItWithScoreOne) {
  const auto index = open_dense_index(index_dir(), "cpu");
  EXPECT_EQ(index->size(), 6);
  const auto hits = index->search({corpus()[2].contents, corpus()[4].contents}, 3, 2);
  ASSERT_EQ(hits.size(), 2u);
  ASSERT_EQ(hits[0].size(), 3u);
  EXPECT_EQ(hits[0][0].doc_id, "unicode");
  EXPECT_NEAR(hits[0][0].score, 1.0, 1e-4);
  EXPECT_EQ(hits[1][0].doc_id, "plants");
  EXPECT_NEAR(hits[1][0].score, 1.0, 1e-4);
}

TEST_F(DenseIndex, ScoresAreReferenceCosinesBestFirst) {
  const auto index = open_dense_index(index_dir(), "cpu");
  const std::string query = "Which city is the capital of France?";
  const auto hits = index->search({query}, 10, 1).at(0);
  ASSERT_EQ(hits.size(), 6u) << "k is capped at the corpus size";
  const auto q = reference_vector(query);
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i > 0) {
      EXPECT_GE(hits[i - 1].score, hits[i].score);
    }
    const auto& passage = *std::find_if(corpus().begin(), corpus().end(),
                                        [&](const Passage& p) { return p.id == hits[i].doc_id; });
    const float cosine = (q * reference_vector(passage.contents)).sum().item<float>();
    EXPECT_NEAR(hits[i].score, cosine, 1e-4) << passage.id;
  }
}

TEST_F(DenseIndex, EmptyQueryReturnsTheFirstPassagesWithScoreZero) {
  const auto hits = open_dense_index(index_dir(), "cpu")->search({""}, 3, 1).at(0);
  ASSERT_EQ(hits.size(), 3u);
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].doc_id, corpus()[i].id);
    EXPECT_EQ(hits[i].score, 0.0f);
  }
}

TEST_F(DenseIndex, RefusesANonPositiveK) {
  const auto index = open_dense_index(index_dir(), "cpu");
  EXPECT_EQ(test::error_message([&] { index->search({"fox"}, 0, 1); }),
            "dense search: k must be positive, got 0");
}

TEST_F(DenseIndex, HnswFindsTheSameFirstPassage) {
  test::TempDir dir;
  build_dense_index(options_for(dir, "hnsw", true));
  EXPECT_EQ(read_json_file(dir.file("hnsw/index.json"))["faiss"], "hnsw");
  const auto hnsw = open_dense_index(dir.file("hnsw"), "cpu");
  const auto flat = open_dense_index(index_dir(), "cpu");
  std::vector<std::string> queries = {"Which city is the capital of France?", "a lazy dog"};
  for (const auto& p : corpus()) {
    if (!p.contents.empty()) queries.push_back(p.contents);
  }
  const auto hnsw_hits = hnsw->search(queries, 1, 1);
  const auto flat_hits = flat->search(queries, 1, 1);
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_EQ(hnsw_hits[i].at(0).doc_id, flat_hits[i].at(0).doc_id) << queries[i];
  }
}

TEST_F(DenseIndex, RefusesAManifestOfAnotherKindOrVersion) {
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, Json>>{{"kind", "bm25"}, {"format_version", 1}}) {
    test::TempDir dir;
    const auto copy = copy_index(dir, index_dir());
    auto manifest = read_json_file(copy + "/index.json");
    manifest[field] = value;
    write_json_file_atomic(copy + "/index.json", manifest);
    const auto message = test::error_message([&] { open_dense_index(copy, "cpu"); });
    EXPECT_THAT(message, StartsWith(copy + "/index.json: field '" + field + "' is "));
    EXPECT_THAT(message, HasSubstr(field == "kind" ? "is 'bm25', expected 'dense'"
                                                   : "is 1; this build reads version 2"));
  }
}

TEST_F(DenseIndex, RefusesDocIdsWithALineMissing) {
  test::TempDir dir;
  const auto copy = copy_index(dir, index_dir());
  std::ofstream(copy + "/doc_ids.txt", std::ios::trunc) << "fox\nempty\nunicode\nparis\nplants\n";
  const auto message = test::error_message([&] { open_dense_index(copy, "cpu"); });
  EXPECT_THAT(message, StartsWith(copy + "/doc_ids.txt: holds 5 ids, but the index holds "));
}

// index.json's checksum ties the encoder, its settings and the files together: an edited
// pooling or a reordered doc_ids.txt (found by hand: both answered with other passages) is
// refused.
TEST_F(DenseIndex, RefusesFilesOrSettingsItWasNotBuiltWith) {
  const std::string expected = "are not the ones this index was built with";
  {
    test::TempDir dir;
    const auto copy = copy_index(dir, index_dir());
    auto manifest = read_json_file(copy + "/index.json");
    manifest["pooling"] = "last";
    write_json_file_atomic(copy + "/index.json", manifest);
    EXPECT_THAT(test::error_message([&] { open_dense_index(copy, "cpu"); }), HasSubstr(expected));
  }
  test::TempDir dir;
  const auto copy = copy_index(dir, index_dir());
  std::ofstream(copy + "/doc_ids.txt", std::ios::trunc)
      << "short\nplants\nparis\nunicode\nempty\nfox\n";
  EXPECT_THAT(test::error_message([&] { open_dense_index(copy, "cpu"); }), HasSubstr(expected));
}

TEST(DenseIndexBuild, LastPoolingAndTruncationStillFindTheSamePassage) {
  test::TempDir dir;
  auto options = options_for(dir, "last", false);
  options.pooling = Pooling::last;
  options.max_tokens = 4;  // truncates all but the empty passage, and the queries alike
  build_dense_index(options);
  const auto index = open_dense_index(options.out_dir, "cpu");
  const auto hits = index->search({corpus()[0].contents}, 1, 1).at(0);
  EXPECT_EQ(hits.at(0).doc_id, "fox");
  EXPECT_NEAR(hits.at(0).score, 1.0, 1e-4);
}

// A BERT-family encoder a user brings (tests/samples/bert/bert, random weights) with E5's
// prefixes and mean pooling: the index built over the fixture's passages ranks each query's
// top 5 as transformers' vectors searched exactly do, with the same scores.
TEST(DenseIndexBuild, BertEncoderRanksAsTransformersVectorsDo) {
  const auto ref = read_json_file(test::data_sample("bert/reference.json")).at("search");
  test::TempDir dir;
  const auto corpus_path = dir.file("corpus.jsonl");
  {
    std::ofstream out(corpus_path);
    const auto& passages = ref.at("passages");
    for (size_t i = 0; i < passages.size(); ++i) {
      out << Json{{"id", "p" + std::to_string(i)}, {"contents", passages[i]}}.dump() << "\n";
    }
  }
  DenseIndexOptions options;
  options.corpus = corpus_path;
  options.out_dir = dir.file("index");
  options.model_dir = test::data_sample("bert/bert");
  options.pooling = parse_pooling(ref.at("pooling").get<std::string>());
  options.query_prefix = ref.at("query_prefix").get<std::string>();
  options.passage_prefix = ref.at("passage_prefix").get<std::string>();
  options.batch_size = 3;  // padded batches of several lengths
  build_dense_index(options);
  const auto index = open_dense_index(options.out_dir, "cpu");
  for (const auto& query : ref.at("queries")) {
    const auto hits = index->search({query.at("query").get<std::string>()}, 5, 1).at(0);
    const auto top = query.at("top").get<std::vector<int64_t>>();
    const auto scores = query.at("scores").get<std::vector<double>>();
    ASSERT_EQ(hits.size(), top.size());
    for (size_t i = 0; i < top.size(); ++i) {
      EXPECT_NEAR(hits[i].score, scores[i], 1e-4) << query.at("query") << " rank " << i;
      // Ranks are compared where the reference's scores are apart (ties may swap).
      const bool tied = (i > 0 && scores[i - 1] - scores[i] < 1e-5) ||
                        (i + 1 < top.size() && scores[i] - scores[i + 1] < 1e-5);
      if (!tied) {
        EXPECT_EQ(hits[i].doc_id, "p" + std::to_string(top[i])) << query.at("query");
      }
    }
  }
}

TEST(DenseIndexBuild, PoolingMustSuitTheEncoder) {
  test::TempDir dir;
  auto options = options_for(dir, "cls", false);
  options.pooling = Pooling::cls;
  EXPECT_THAT(test::error_message([&] { build_dense_index(options); }),
              HasSubstr("cls pooling reads a BERT-family encoder's [CLS]"));
  options.model_dir = test::data_sample("bert/bert");
  options.pooling = Pooling::last;
  EXPECT_THAT(test::error_message([&] { build_dense_index(options); }),
              HasSubstr("last-token pooling reads a causal LM"));
}

// IVF-PQ against exact search on the same vectors: 800 generated passages encoded by the BERT
// fixture (32 dimensions), 16 codes of 8 bits a vector (16 bytes against flat's 128), and the
// share of flat's top 10 that IVF-PQ finds for 60 queries, searching every list and one, by the
// codes alone and with 10 candidates a hit re-scored from the float vectors.
TEST(DenseIndexBuild, IvfPqFindsMostOfTheExactTopTen) {
  test::TempDir dir;
  const auto corpus_path = dir.file("corpus.jsonl");
  std::vector<std::string> queries;
  {
    std::mt19937 rng(5);
    const std::vector<std::string> words = {
        "river",    "airline", "painter", "born",    "works", "founded",  "city",
        "labs",     "mills",   "north",   "harbour", "film",  "director", "physician",
        "software", "mining",  "veigrad", "narwick", "delia", "xavi",     "zeno",
        "piman",    "numom",   "stiva",   "coast",   "spring"};
    std::ofstream out(corpus_path);
    for (int i = 0; i < 800; ++i) {
      std::string text;
      for (int w = 0; w < 12; ++w) text += words[rng() % words.size()] + " ";
      out << Json{{"id", "p" + std::to_string(i)}, {"contents", text}}.dump() << "\n";
      if (i % 13 == 0 && queries.size() < 60) queries.push_back(text.substr(0, text.size() / 2));
    }
  }
  DenseIndexOptions options;
  options.corpus = corpus_path;
  options.model_dir = test::data_sample("bert/bert");
  options.out_dir = dir.file("flat");
  build_dense_index(options);
  options.out_dir = dir.file("ivfpq");
  options.faiss.kind = FaissSpec::Kind::ivfpq;
  options.faiss.ivf_lists = 8;
  options.faiss.pq_subquantizers = 16;
  options.faiss.refine = 0;  // the codes' own order
  build_dense_index(options);
  options.out_dir = dir.file("refined");
  options.faiss.refine = 10;  // 100 candidates for the top 10, re-scored from the floats
  build_dense_index(options);
  const auto manifest = read_json_file(dir.file("ivfpq/index.json"));
  EXPECT_EQ(manifest.at("faiss"), "ivfpq");
  EXPECT_EQ(manifest.at("pq_bits"), 8);
  EXPECT_EQ(manifest.at("nprobe"), 8);  // 16 by default, at most the lists
  const auto exact = open_dense_index(dir.file("flat"), "cpu")->search(queries, 10, 1);
  const auto recall = [&](int64_t nprobe, const char* index = "ivfpq") {
    const auto found = open_dense_index(dir.file(index), "cpu", nprobe)->search(queries, 10, 1);
    int64_t hits = 0;
    for (size_t q = 0; q < queries.size(); ++q) {
      std::set<std::string> wanted;
      for (const auto& hit : exact[q]) wanted.insert(hit.doc_id);
      for (const auto& hit : found[q]) hits += wanted.count(hit.doc_id);
    }
    return static_cast<double>(hits) / static_cast<double>(10 * queries.size());
  };
  const auto every_list = recall(8), one_list = recall(1);
  std::cerr << "IVF-PQ recall@10 against flat: " << every_list << " (8 lists), " << one_list
            << " (1 list)\n";
  EXPECT_GE(every_list, 0.6);
  EXPECT_LE(one_list, every_list);
  const auto refined = recall(8, "refined");
  std::cerr << "with 100 candidates re-scored: " << refined << "\n";
  EXPECT_GE(refined, 0.95);
  EXPECT_THAT(test::error_message([&] { open_dense_index(dir.file("flat"), "cpu", 4); }),
              HasSubstr("nprobe applies to an IVF-PQ index, and this one is flat"));
}

}  // namespace
}  // namespace kvchain::retrievers
