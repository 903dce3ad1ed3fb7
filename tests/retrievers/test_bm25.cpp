// BM25 against hand-computed Lucene scores, MaxScore against exhaustive scoring, the analyzer,
// the index file's integrity checks and the build paths (spilled runs, threads) that must not
// change a single byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "retrievers/analyzer.h"
#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_builder.h"
#include "retrievers/lucene_bm25.h"
#include "retrievers/recall.h"
#include "retrievers/retriever.h"
#include "tests/support/test_support.h"

namespace kvchain::retrievers {
namespace {
namespace fs = std::filesystem;

std::string write_corpus(const fs::path& dir, const std::vector<std::string>& texts) {
  const auto path = (dir / "corpus.jsonl").string();
  std::ofstream out(path);
  for (size_t i = 0; i < texts.size(); ++i)
    out << Json{{"id", "d" + std::to_string(i)}, {"contents", texts[i]}}.dump() << "\n";
  return path;
}

std::string build(const fs::path& dir, const std::string& corpus, int threads = 1,
                  int64_t postings_in_memory = 50'000'000, int64_t* runs = nullptr) {
  Bm25IndexOptions options;
  options.corpus = corpus;
  options.out_dir = (dir / "index").string();
  options.threads = threads;
  options.postings_in_memory = postings_in_memory;
  const auto summary = build_bm25_index(options);
  if (runs != nullptr) *runs = summary.runs;
  return options.out_dir;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// d3 has no text, d5 has the same terms as d0 (a tie), d4 is not ASCII.
const std::vector<std::string> kTexts = {"the cat sat on the mat",
                                         "The cat chased the other cat.",
                                         "Dogs bark",
                                         "",
                                         "Café naïve ÜBER",
                                         "sat cat mat"};

class Bm25Tiny : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new test::TempDir;
    index_ = new Bm25Index(build(temp_->path(), write_corpus(temp_->path(), kTexts)) + "/bm25.idx");
  }
  static void TearDownTestSuite() {
    delete index_;
    delete temp_;
  }
  static HitList one(const std::string& query, int64_t k = 10) {
    return index_->search({query}, k, 1).front();
  }
  static test::TempDir* temp_;
  static Bm25Index* index_;
};
test::TempDir* Bm25Tiny::temp_ = nullptr;
Bm25Index* Bm25Tiny::index_ = nullptr;

// Hand computation (k1 0.9, b 0.4): N = 5 passages with terms (d3 has none), 15 terms, avgdl 3.
// "cat": df 3, idf = ln(1 + 2.5 / 3.5) = 0.538996...
//   d1: tf 2, dl 4: 0.538996 * 2 / (2 + 0.9 * (0.6 + 0.4 * 4 / 3)) = 0.356951
//   d0, d5: tf 1, dl 3: 0.538996 / (1 + 0.9) = 0.283682
TEST_F(Bm25Tiny, ScoresMatchHandComputedLuceneBm25) {
  const auto hits = one("cat");
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].doc_id, "d1");
  EXPECT_NEAR(hits[0].score, 0.3569513249885345, 1e-6);
  EXPECT_NEAR(hits[1].score, 0.28368236880667747, 1e-6);
  EXPECT_NEAR(hits[2].score, 0.28368236880667747, 1e-6);
  // "mat": df 2; the two terms add up.
  const auto both = one("cat mat");
  EXPECT_EQ(both[0].doc_id, "d0");
  EXPECT_NEAR(both[0].score, 0.7444553884666247, 1e-6);
  EXPECT_NEAR(one("barks dogs bark").front().score, 0.7788170568089273 * 2, 2e-6);
}

TEST_F(Bm25Tiny, TiesKeepCorpusOrder) {
  const auto hits = one("cat");
  EXPECT_EQ(hits[1].doc_id, "d0");
  EXPECT_EQ(hits[2].doc_id, "d5");
  EXPECT_EQ(hits[1].score, hits[2].score);
  // Cut between the tied passages: the earlier one stays.
  const auto top2 = one("cat", 2);
  ASSERT_EQ(top2.size(), 2u);
  EXPECT_EQ(top2[1].doc_id, "d0");
}

TEST_F(Bm25Tiny, QueriesWithNothingToMatchGiveNoHits) {
  EXPECT_TRUE(one("").empty());
  EXPECT_TRUE(one("  ,.;  ").empty());
  EXPECT_TRUE(one("the of and is it").empty());  // stop words only
  EXPECT_TRUE(one("zebra").empty());             // unknown term
  // An unknown term beside a known one changes nothing.
  const auto mixed = one("zebra cat");
  const auto plain = one("cat");
  ASSERT_EQ(mixed.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(mixed[i].score, plain[i].score);
}

TEST_F(Bm25Tiny, RepeatedQueryTermWeighsTwice) {
  EXPECT_NEAR(one("cat cat").front().score, 2 * 0.3569513249885345, 2e-6);
}

TEST_F(Bm25Tiny, PassageWithoutTextIsIndexedButNeverFound) {
  EXPECT_EQ(index_->size(), 6);
  EXPECT_EQ(index_->doc_id(3), "d3");
  EXPECT_EQ(index_->header().passages_with_terms, 5u);
}

TEST_F(Bm25Tiny, UnicodeIsLowercasedNotFolded) {
  const auto hits = one("CAFÉ");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].doc_id, "d4");
  // df 1, dl 3: 1.860752 / 1.9
  EXPECT_NEAR(hits[0].score, 0.729628611115732, 1e-6);
  EXPECT_EQ(one("über").size(), 1u);
  EXPECT_TRUE(one("uber cafe").empty());  // accents are kept, as Lucene's analyzer keeps them
}

TEST_F(Bm25Tiny, BatchSearchOnThreadsEqualsOneByOne) {
  std::vector<std::string> queries;
  for (int i = 0; i < 50; ++i) queries.push_back(kTexts[static_cast<size_t>(i) % kTexts.size()]);
  const auto threaded = index_->search(queries, 3, 4);
  for (size_t i = 0; i < queries.size(); ++i) {
    const auto single = one(queries[i], 3);
    ASSERT_EQ(threaded[i].size(), single.size());
    for (size_t r = 0; r < single.size(); ++r) {
      EXPECT_EQ(threaded[i][r].doc_id, single[r].doc_id);
      EXPECT_EQ(threaded[i][r].score, single[r].score);
    }
  }
}

TEST(LuceneLength, SmallLengthsAreExactLongOnesQuantised) {
  for (uint32_t n = 0; n < 24; ++n) EXPECT_EQ(decode_length(encode_length(n)), n);
  // 100 - 24 = 76 = 0b1001100: four significant bits keep 72, so 24 + 72.
  EXPECT_EQ(decode_length(encode_length(100)), 96u);
  uint32_t previous = 0;
  for (uint32_t n = 0; n < 100000; n += 7) {
    const auto decoded = decode_length(encode_length(n));
    EXPECT_LE(decoded, n);
    EXPECT_GE(decoded, previous);
    previous = decoded;
  }
  EXPECT_EQ(encode_length(0x7fffffffu), 255);
}

TEST(Bm25Scoring, LongPassageUsesLucenesQuantisedLength) {
  const test::TempDir temp;
  const auto dir = temp.path();
  std::string long_text = "needle";
  for (int i = 0; i < 99; ++i) long_text += " hay" + std::to_string(i);
  const auto index_dir = build(dir, write_corpus(dir, {long_text, "needle haystack"}));
  const auto hits = Bm25Index(index_dir + "/bm25.idx").search({"needle"}, 2, 1).front();
  // N 2, df 2, total 102 terms, avgdl 51; the 100-term passage counts as 96.
  const double idf = std::log(1 + 0.5 / 2.5);
  const auto expected = [&](double dl) { return idf / (1 + 0.9 * (0.6 + 0.4 * dl / 51)); };
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc_id, "d1");
  EXPECT_NEAR(hits[0].score, expected(2), 1e-6);
  EXPECT_NEAR(hits[1].score, expected(96), 1e-6);
}

TEST(Analyzer, SplitsLowercasesDropsStopWordsAndStems) {
  const Analyzer plain(false);
  EXPECT_EQ(plain.terms("Hello, World! The naïve-café of 42x"),
            (std::vector<std::string>{"hello", "world", "naïve", "café", "42x"}));
  EXPECT_EQ(plain.terms("ΑΘΗΝΑ Straße"), (std::vector<std::string>{"αθηνα", "straße"}));
  EXPECT_TRUE(plain.terms("").empty());
  const Analyzer stemmed(true);
  EXPECT_EQ(stemmed.terms("Running cats were connected"),
            (std::vector<std::string>{"run", "cat", "were", "connect"}));
}

// Random corpora and queries: words drawn from a skewed vocabulary (a few words in most
// passages, as stop-word-like terms are; most words rare), every tenth passage a copy of an
// earlier one (equal scores, so the corpus-order tie break is exercised), queries of 1 to 12
// words, some repeated. Block-max MaxScore must give exhaustive scoring's passages, scores and
// order at every k.
TEST(Bm25Search, MaxScoreEqualsExhaustiveScoring) {
  std::mt19937 random(11);
  const auto word = [&] {
    // Squaring a uniform draw skews it toward the first words of 400.
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(random);
    return "w" + std::to_string(static_cast<int>(u * u * u * 400));
  };
  const auto text = [&](int low, int high) {
    std::string words;
    const int n = std::uniform_int_distribution<int>(low, high)(random);
    for (int i = 0; i < n; ++i) words += word() + " ";
    return words;
  };
  for (int corpus_seed = 0; corpus_seed < 3; ++corpus_seed) {
    std::vector<std::string> texts;
    // The last corpus spans several of block-max MaxScore's windows of 4,096 passages.
    const int passages = corpus_seed == 2 ? 20000 : 3000;
    for (int i = 0; i < passages; ++i) {
      texts.push_back(i % 10 == 9 ? texts[random() % texts.size()] : text(3, 60));
    }
    const test::TempDir temp;
    const Bm25Index index(build(temp.path(), write_corpus(temp.path(), texts)) + "/bm25.idx");
    std::vector<std::string> queries;
    for (int i = 0; i < 200; ++i) queries.push_back(text(1, 12));
    queries.push_back("w0 w0 w0 w1");  // only the most common words
    queries.push_back("nothing known");
    for (const int64_t k : {1, 3, 10, 100, 5000}) {
      const auto pruned = index.search(queries, k, 1, Bm25Search::kMaxScore);
      const auto exhaustive = index.search(queries, k, 1, Bm25Search::kExhaustive);
      int64_t hits = 0;
      for (size_t q = 0; q < queries.size(); ++q) {
        ASSERT_EQ(pruned[q].size(), exhaustive[q].size()) << queries[q] << " at k " << k;
        for (size_t h = 0; h < pruned[q].size(); ++h) {
          ASSERT_EQ(pruned[q][h].doc_id, exhaustive[q][h].doc_id) << queries[q] << " at k " << k;
          ASSERT_EQ(pruned[q][h].score, exhaustive[q][h].score) << queries[q] << " at k " << k;
        }
        hits += static_cast<int64_t>(pruned[q].size());
      }
      EXPECT_GT(hits, static_cast<int64_t>(queries.size() - 2) * std::min<int64_t>(k, 100));
    }
  }
}

TEST(Bm25IndexFile, SpilledRunsAndThreadsGiveTheSameBytes) {
  std::vector<std::string> texts;
  for (int i = 0; i < 9000; ++i) {
    texts.push_back("passage " + std::to_string(i % 97) + " about topic" + std::to_string(i % 13) +
                    " and word" + std::to_string(i % 7));
  }
  const test::TempDir temp;
  const auto dir = temp.path();
  const auto corpus = write_corpus(dir, texts);
  const auto memory = read_bytes(build(dir / "memory", corpus) + "/bm25.idx");
  int64_t runs = 0;
  const auto spilled = read_bytes(build(dir / "spilled", corpus, 1, 100, &runs) + "/bm25.idx");
  EXPECT_EQ(runs, 3);  // one per chunk of 4,096 passages
  const auto threaded = read_bytes(build(dir / "threaded", corpus, 2) + "/bm25.idx");
  EXPECT_GT(memory.size(), 100000u);
  EXPECT_TRUE(memory == spilled);
  EXPECT_TRUE(memory == threaded);
  // No temporary file is left behind.
  for (const auto& entry : fs::directory_iterator(dir / "spilled" / "index"))
    EXPECT_EQ(entry.path().extension(), entry.path().filename() == "index.json" ? ".json" : ".idx");
}

TEST(Bm25IndexFile, DamagedOrStaleFilesAreRefused) {
  const test::TempDir temp;
  const auto dir = temp.path();
  const auto index_dir = build(dir, write_corpus(dir, kTexts));
  const auto path = index_dir + "/bm25.idx";
  const auto good = read_bytes(path);
  const auto write = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  };
  auto flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  write(flipped);
  EXPECT_NE(test::error_message([&] { Bm25Index{path}; }).find("checksum mismatch"),
            std::string::npos);
  auto stale = good;
  stale[8] = 1;  // the format version in the prefix: version 1's uncompressed postings
  write(stale);
  EXPECT_NE(test::error_message([&] {
              Bm25Index{path};
            }).find("format version 1, but this kvchain reads version 2: rebuild it"),
            std::string::npos);
  write(good.substr(0, 40));
  EXPECT_NE(test::error_message([&] { Bm25Index{path}; }).find("truncated"), std::string::npos);
  write("not an index at all");
  EXPECT_NE(test::error_message([&] { Bm25Index{path}; }).find("bad magic"), std::string::npos);
  write(good);
  EXPECT_EQ(open_retriever(index_dir, "cpu")->size(), 6);
  fs::remove(index_dir + "/index.json");
  EXPECT_NE(test::error_message([&] { open_retriever(index_dir, "cpu"); }).find("no index.json"),
            std::string::npos);
}

TEST(Bm25IndexFile, BadCorpusLinesNameFileAndLine) {
  const test::TempDir temp;
  const auto dir = temp.path();
  const auto corpus = (dir / "corpus.jsonl").string();
  std::ofstream(corpus) << "{\"id\": \"a\", \"contents\": \"x\"}\n\n{\"contents\": \"y\"}\n";
  EXPECT_NE(
      test::error_message([&] { build(dir, corpus); }).find("corpus.jsonl:3: missing field 'id'"),
      std::string::npos);
  std::ofstream(corpus) << "{\"id\": \"a\", \"contents\": 5}\n";
  EXPECT_NE(
      test::error_message([&] { build(dir, corpus); }).find("corpus.jsonl:1: field 'contents'"),
      std::string::npos);
  std::ofstream(corpus) << "{oops\n";
  EXPECT_NE(test::error_message([&] { build(dir, corpus); }).find("corpus.jsonl:1: not JSON"),
            std::string::npos);
  std::ofstream(corpus) << "\n";
  EXPECT_NE(test::error_message([&] { build(dir, corpus); }).find("has no passages"),
            std::string::npos);
}

TEST(Recall, PoolsSubQueriesAndCountsGoldFractions) {
  const test::TempDir temp;
  const auto dir = temp.path();
  const Bm25Index index(build(dir, write_corpus(dir, kTexts)) + "/bm25.idx");
  const std::vector<QueryRecord> records = {
      {"q1", {"dogs"}, {"d2"}},                 // found at rank 1
      {"q2", {"dogs"}, {"d2", "d4"}},           // half of the gold
      {"q3", {"dogs", "café"}, {"d2", "d4"}}};  // the sub-queries find both
  const auto report = evaluate_recall(index, records, {1, 5}, 2);
  EXPECT_EQ(report.records, 3);
  EXPECT_EQ(report.searches, 4);
  EXPECT_NEAR(report.recall.at(1), (1 + 0.5 + 1) / 3.0, 1e-12);
}

}  // namespace
}  // namespace kvchain::retrievers
