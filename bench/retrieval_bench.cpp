// BM25 indexing throughput (passages/s) and batch query throughput (queries/s) on a generated
// corpus of 100k and 1M passages, on 1 and 2 threads. Passages are 40 to 80 words drawn from a
// Zipf(1.1) vocabulary of 200k words (so a few terms have long posting lists, as in Wikipedia);
// queries are 4 to 12 words from the same distribution, top 10, scored exhaustively and by
// MaxScore (the default; same results). The corpora are written once to
// $TMPDIR/kvchain-bench-corpus-N.jsonl and reused. bench/README.md has recorded numbers.
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "engine/io/json_file.h"
#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_builder.h"

namespace kvchain::retrievers {
namespace {
namespace fs = std::filesystem;

class ZipfWords {
 public:
  explicit ZipfWords(uint64_t seed) : rng_(seed) {
    std::vector<double> weights(kVocabulary);
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / std::pow(i + 1.0, 1.1);
    draw_ = std::discrete_distribution<size_t>(weights.begin(), weights.end());
  }
  std::string text(int min_words, int max_words) {
    std::uniform_int_distribution<int> length(min_words, max_words);
    std::string out;
    for (int i = length(rng_); i > 0; --i)
      out += (out.empty() ? "w" : " w") + std::to_string(draw_(rng_));
    return out;
  }

 private:
  static constexpr size_t kVocabulary = 200'000;
  std::mt19937_64 rng_;
  std::discrete_distribution<size_t> draw_;
};

std::string corpus(int64_t passages) {
  const auto path =
      (fs::temp_directory_path() / ("kvchain-bench-corpus-" + std::to_string(passages) + ".jsonl"))
          .string();
  if (fs::exists(path)) return path;
  ZipfWords words(passages);
  {
    std::ofstream out(path + ".tmp");
    for (int64_t i = 0; i < passages; ++i)
      out << Json{{"id", "p" + std::to_string(i)}, {"contents", words.text(40, 80)}}.dump() << "\n";
  }
  fs::rename(path + ".tmp", path);
  return path;
}

std::string index_dir(int64_t passages, int threads) {
  return (fs::temp_directory_path() /
          ("kvchain-bench-bm25-" + std::to_string(passages) + "-" + std::to_string(threads)))
      .string();
}

void BM_Bm25Index(benchmark::State& state) {
  const auto passages = state.range(0);
  Bm25IndexOptions options;
  options.corpus = corpus(passages);
  options.threads = static_cast<int>(state.range(1));
  options.out_dir = index_dir(passages, options.threads);
  for (auto _ : state) build_bm25_index(options);
  state.SetItemsProcessed(state.iterations() * passages);
}

void BM_Bm25Query(benchmark::State& state) {
  const auto passages = state.range(0);
  const auto threads = static_cast<int>(state.range(1));
  const auto dir = index_dir(passages, 1);
  if (!fs::exists(dir + "/index.json")) {
    Bm25IndexOptions options;
    options.corpus = corpus(passages);
    options.out_dir = dir;
    build_bm25_index(options);
  }
  const Bm25Index index(dir + "/bm25.idx");
  ZipfWords words(7);
  std::vector<std::string> queries;
  for (int i = 0; i < 1000; ++i) queries.push_back(words.text(4, 12));
  const auto how = state.range(2) == 1 ? Bm25Search::kMaxScore : Bm25Search::kExhaustive;
  for (auto _ : state) benchmark::DoNotOptimize(index.search(queries, 10, threads, how));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(queries.size()));
}

BENCHMARK(BM_Bm25Index)
    ->ArgsProduct({{100'000, 1'000'000}, {1, 2}})
    ->ArgNames({"passages", "threads"})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK(BM_Bm25Query)
    ->ArgsProduct({{100'000, 1'000'000}, {1, 2}, {0, 1}})
    ->ArgNames({"passages", "threads", "max_score"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kvchain::retrievers

BENCHMARK_MAIN();
