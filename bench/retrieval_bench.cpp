// BM25 indexing throughput (passages/s, with the index's size and the process's peak memory)
// and batch query throughput (queries/s) on a generated corpus of 100k, 1M and 10M passages, on
// 1 and 2 threads. Passages are 40 to 80 words drawn from a
// Zipf(1.1) vocabulary of 200k words (so a few terms have long posting lists, as in Wikipedia);
// queries are 4 to 12 words from the same distribution, top 10, scored exhaustively and by
// block-max MaxScore (the default; same results). The corpora are written once to
// $TMPDIR/kvchain-bench-corpus-N.jsonl and reused. Dense IVF-PQ against exact (flat) search on
// the same vectors: N unit vectors of 768 dimensions drawn around 1,000 centres (as passage
// embeddings cluster by topic), 96 codes of 8 bits a vector; its build time, bytes, queries/s
// and recall@10 of flat's top 10 for 1,000 perturbed passages, by the codes alone and with 100
// candidates re-scored from the float vectors (the dense index's default `refine`). bench/README.md
// has recorded numbers.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include <chrono>
#include <set>
#include <vector>

#include "engine/io/json_file.h"
#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_builder.h"
#include "retrievers/faiss_index.h"

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

// Named by the format version, so an index an older kvchain left behind is built anew.
std::string index_dir(int64_t passages, int threads) {
  return (fs::temp_directory_path() /
          ("kvchain-bench-bm25-v" + std::to_string(kBm25FormatVersion) + "-" +
           std::to_string(passages) + "-" + std::to_string(threads)))
      .string();
}

// The process's peak resident memory so far, in GB (Linux reports kB).
double peak_rss_gb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1e6;
}

void BM_Bm25Index(benchmark::State& state) {
  const auto passages = state.range(0);
  Bm25IndexOptions options;
  options.corpus = corpus(passages);
  options.threads = static_cast<int>(state.range(1));
  options.out_dir = index_dir(passages, options.threads);
  for (auto _ : state) build_bm25_index(options);
  state.SetItemsProcessed(state.iterations() * passages);
  state.counters["index_mb"] =
      static_cast<double>(fs::file_size(options.out_dir + "/" + kBm25FileName)) / 1e6;
  state.counters["peak_rss_gb"] = peak_rss_gb();
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

// n unit vectors of `dim` dimensions around 1,000 random centres, row-major.
std::vector<float> clustered_vectors(int64_t n, int64_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  constexpr int64_t kCentres = 1000;
  std::vector<float> centres(kCentres * dim);
  for (auto& x : centres) x = normal(rng);
  std::vector<float> out(n * dim);
  std::uniform_int_distribution<int64_t> pick(0, kCentres - 1);
  for (int64_t i = 0; i < n; ++i) {
    const auto* centre = centres.data() + pick(rng) * dim;
    double norm = 0;
    for (int64_t j = 0; j < dim; ++j) {
      out[i * dim + j] = centre[j] + 0.6f * normal(rng);
      norm += out[i * dim + j] * out[i * dim + j];
    }
    for (int64_t j = 0; j < dim; ++j) out[i * dim + j] /= static_cast<float>(std::sqrt(norm));
  }
  return out;
}

void BM_DenseIvfPq(benchmark::State& state) {
  const auto n = state.range(0);
  const int64_t dim = 768, queries = 1000, k = 10;
  const auto vectors = clustered_vectors(n, dim, 3);
  std::vector<float> asked(queries * dim);
  for (int64_t q = 0; q < queries; ++q) {  // passages spread over the corpus, a little moved
    std::copy_n(vectors.data() + (q * n / queries) * dim, dim, asked.data() + q * dim);
    asked[q * dim + q % dim] += 0.05f;
  }
  FaissSpec flat_spec;
  auto flat = make_faiss_index(flat_spec, dim);
  fill_faiss_index(*flat, flat_spec, vectors.data(), n, dim);
  std::vector<float> scores(queries * k);
  std::vector<faiss::Index::idx_t> exact(queries * k), found(queries * k);
  const auto timed = [](const auto& work) {
    const auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto flat_seconds = timed(
      [&] { search_faiss_index(*flat, 0, queries, asked.data(), k, scores.data(), exact.data()); });
  FaissSpec spec;
  spec.kind = FaissSpec::Kind::ivfpq;
  spec.nprobe = state.range(1);
  spec = resolve_faiss_spec(spec, dim, n);
  std::unique_ptr<faiss::Index> index;
  const auto wide = k * spec.refine;
  std::vector<float> coarse(queries * wide);
  std::vector<faiss::Index::idx_t> candidates(queries * wide), refined(queries * k);
  double build_seconds = 0, search_seconds = 0, refined_seconds = 0;
  for (auto _ : state) {
    build_seconds = timed([&] {
      index = make_faiss_index(spec, dim);
      fill_faiss_index(*index, spec, vectors.data(), n, dim);
    });
    search_seconds = timed([&] {
      search_faiss_index(*index, spec.nprobe, queries, asked.data(), k, scores.data(),
                         found.data());
    });
    refined_seconds = timed([&] {
      search_faiss_index(*index, spec.nprobe, queries, asked.data(), wide, coarse.data(),
                         candidates.data());
      rerank_exactly(vectors.data(), dim, asked.data(), queries, candidates.data(), wide, k,
                     scores.data(), refined.data());
    });
  }
  const auto recall = [&](const std::vector<faiss::Index::idx_t>& labels) {
    int64_t hits = 0;
    for (int64_t q = 0; q < queries; ++q) {
      const std::set<faiss::Index::idx_t> wanted(exact.begin() + q * k,
                                                 exact.begin() + (q + 1) * k);
      for (int64_t i = 0; i < k; ++i) hits += wanted.count(labels[q * k + i]);
    }
    return static_cast<double>(hits) / static_cast<double>(queries * k);
  };
  const auto path = (fs::temp_directory_path() / "kvchain-bench-ivfpq.index").string();
  write_faiss_index_atomic(*index, path);
  state.counters["build_s"] = build_seconds;
  state.counters["index_MB"] = static_cast<double>(fs::file_size(path)) / 1e6;
  state.counters["flat_MB"] = static_cast<double>(n * dim * sizeof(float)) / 1e6;
  state.counters["queries_per_s"] = queries / search_seconds;
  state.counters["flat_queries_per_s"] = queries / flat_seconds;
  state.counters["recall_at_10"] = recall(found);
  state.counters["refined_queries_per_s"] = queries / refined_seconds;
  state.counters["refined_recall_at_10"] = recall(refined);
  state.counters["lists"] = static_cast<double>(spec.ivf_lists);
  fs::remove(path);
}

BENCHMARK(BM_Bm25Index)
    ->ArgsProduct({{100'000, 1'000'000, 10'000'000}, {1, 2}})
    ->ArgNames({"passages", "threads"})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK(BM_Bm25Query)
    ->ArgsProduct({{100'000, 1'000'000, 10'000'000}, {1, 2}, {0, 1}})
    ->ArgNames({"passages", "threads", "max_score"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_DenseIvfPq)
    ->ArgsProduct({{100'000, 1'000'000}, {16, 64}})
    ->ArgNames({"vectors", "nprobe"})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
}  // namespace kvchain::retrievers

BENCHMARK_MAIN();
