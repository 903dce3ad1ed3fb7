// BM25 indexing throughput (passages/s, with the index's size and the process's peak memory)
// and batch query throughput (queries/s) on a generated corpus of 100k, 1M and 10M passages, on
// 1 and 2 threads, and of 21M (wiki-18's size) on 2. Passages are 40 to 80 words drawn from a
// Zipf(1.1) vocabulary of 200k words (so a few terms have long posting lists, as in Wikipedia);
// queries are 4 to 12 words from the same distribution, top 10, scored exhaustively and by
// block-max MaxScore (the default; same results). The corpora are written once to
// $TMPDIR/kvchain-bench-corpus-N.jsonl and reused. Dense IVF-PQ against exact (flat) search on
// the same vectors: N (100k, 1M, 10M) unit vectors of 768 dimensions drawn around 1,000 centres
// (as passage embeddings cluster by topic), memory-mapped from a .npy written once to $TMPDIR,
// 96 codes of 8 bits a vector; its build time, bytes, queries/s
// and recall@10 of flat's top 10 for 1,000 perturbed passages, by the codes alone and with 10
// and 100 candidates a hit re-scored from the float vectors (100: the dense index's default
// `refine`). bench/README.md has recorded numbers.
#include <benchmark/benchmark.h>
#include <faiss/utils/distances.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "bench/memory_peak.h"
#include "engine/io/json_file.h"
#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_builder.h"
#include "retrievers/faiss_index.h"
#include "retrievers/npy_file.h"

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
  // Either thread count's build (they are the same bytes), so a large corpus is indexed once.
  auto dir = index_dir(passages, 2);
  if (!fs::exists(dir + "/index.json")) dir = index_dir(passages, 1);
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

// n unit vectors of `dim` dimensions around 1,000 random centres, row-major, written once to
// $TMPDIR/kvchain-bench-vectors-N.npy a block at a time (so 10M x 768, 30.7 GB, never sits in
// memory) and reused.
std::string clustered_vectors_file(int64_t n, int64_t dim, uint64_t seed) {
  const auto path =
      (fs::temp_directory_path() / ("kvchain-bench-vectors-" + std::to_string(n) + ".npy"))
          .string();
  if (fs::exists(path)) return path;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  constexpr int64_t kCentres = 1000, kBlock = 65536;
  std::vector<float> centres(kCentres * dim);
  for (auto& x : centres) x = normal(rng);
  std::uniform_int_distribution<int64_t> pick(0, kCentres - 1);
  NpyWriter out(path, dim);
  std::vector<float> block(kBlock * dim);
  for (int64_t first = 0; first < n; first += kBlock) {
    const auto rows = std::min(kBlock, n - first);
    for (int64_t i = 0; i < rows; ++i) {
      const auto* centre = centres.data() + pick(rng) * dim;
      auto* row = block.data() + i * dim;
      double norm = 0;
      for (int64_t j = 0; j < dim; ++j) {
        row[j] = centre[j] + 0.6f * normal(rng);
        norm += row[j] * row[j];
      }
      for (int64_t j = 0; j < dim; ++j) row[j] /= static_cast<float>(std::sqrt(norm));
    }
    out.append(torch::from_blob(block.data(), {rows, dim}));
  }
  out.commit();
  return path;
}

// Exact top k by inner product over the n rows of `vectors`, a block of rows at a time (FAISS's
// flat search without copying the rows into an index), best first, the lower label on ties.
void exact_top_k(const float* vectors, int64_t n, int64_t dim, const float* queries,
                 int64_t n_queries, int64_t k, float* scores, faiss::Index::idx_t* labels) {
  constexpr int64_t kBlock = 262144;
  std::vector<std::vector<std::pair<float, faiss::Index::idx_t>>> best(n_queries);
  std::vector<float> block_scores(n_queries * k);
  std::vector<faiss::Index::idx_t> block_labels(n_queries * k);
  const auto better = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  for (int64_t first = 0; first < n; first += kBlock) {
    const auto rows = std::min(kBlock, n - first);
    faiss::knn_inner_product(queries, vectors + first * dim, dim, n_queries, rows, k,
                             block_scores.data(), block_labels.data());
    for (int64_t q = 0; q < n_queries; ++q) {
      for (int64_t i = 0; i < k; ++i) {
        const auto label = block_labels[q * k + i];
        if (label >= 0) best[q].emplace_back(block_scores[q * k + i], first + label);
      }
      std::sort(best[q].begin(), best[q].end(), better);
      if (static_cast<int64_t>(best[q].size()) > k) best[q].resize(k);
    }
  }
  for (int64_t q = 0; q < n_queries; ++q) {
    for (int64_t i = 0; i < k; ++i) {
      const bool found = i < static_cast<int64_t>(best[q].size());
      scores[q * k + i] = found ? best[q][i].first : 0;
      labels[q * k + i] = found ? best[q][i].second : -1;
    }
  }
}

// Share of the exact top k (`exact`, k a query) that `labels` found.
double recall_at(const std::vector<faiss::Index::idx_t>& exact,
                 const std::vector<faiss::Index::idx_t>& labels, int64_t queries, int64_t k) {
  int64_t hits = 0;
  for (int64_t q = 0; q < queries; ++q) {
    const std::set<faiss::Index::idx_t> wanted(exact.begin() + q * k, exact.begin() + (q + 1) * k);
    for (int64_t i = 0; i < k; ++i) hits += wanted.count(labels[q * k + i]);
  }
  return static_cast<double>(hits) / static_cast<double>(queries * k);
}

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// IVF-PQ against exact search on the same memory-mapped vectors. Arguments: vectors, lists (0:
// the index's default of about 4 sqrt(n)) and codes a vector (0: one per 8 dimensions). One build
// is searched at nprobe 16 and 64, by the codes alone (x0) and with 10 and 100 candidates a hit
// re-scored from the floats (x10, and x100, the dense index's default `refine`): counters
// recall_npP_xR and qps_npP_xR. anon_peak_GB is the process's peak anonymous memory (the index,
// its training sample, the search buffers; not the mapped floats, which the page cache holds).
void BM_DenseIvfPq(benchmark::State& state) {
  const auto n = state.range(0);
  const int64_t dim = 768, queries = 1000, k = 10;
  const MappedNpy vectors(clustered_vectors_file(n, dim, 3));
  vectors.advise(MappedFile::Access::kSequential);  // the flat search and the build scan it
  bench::AnonymousMemoryPeak memory;
  std::vector<float> asked(queries * dim);
  for (int64_t q = 0; q < queries; ++q) {  // passages spread over the corpus, a little moved
    std::copy_n(vectors.data() + (q * n / queries) * dim, dim, asked.data() + q * dim);
    asked[q * dim + q % dim] += 0.05f;
  }
  std::vector<float> scores(queries * k);
  std::vector<faiss::Index::idx_t> exact(queries * k);
  const auto flat_seconds = seconds_of([&] {
    exact_top_k(vectors.data(), n, dim, asked.data(), queries, k, scores.data(), exact.data());
  });
  FaissSpec spec;
  spec.kind = FaissSpec::Kind::ivfpq;
  spec.ivf_lists = state.range(1);
  spec.pq_subquantizers = state.range(2);
  spec = resolve_faiss_spec(spec, dim, n);
  std::unique_ptr<faiss::Index> index;
  for (auto _ : state) {
    state.counters["build_s"] = seconds_of([&] {
      index = make_faiss_index(spec, dim);
      fill_faiss_index(*index, spec, vectors.data(), n, dim);
    });
  }
  vectors.advise(MappedFile::Access::kRandom);  // re-scoring reads scattered rows
  for (const int64_t nprobe : {16, 64}) {
    for (const int64_t refine : {0, 10, 100}) {
      const auto wide = k * std::max<int64_t>(refine, 1);
      std::vector<float> coarse(queries * wide);
      std::vector<faiss::Index::idx_t> candidates(queries * wide), found(queries * k);
      const auto seconds = seconds_of([&] {
        search_faiss_index(*index, nprobe, queries, asked.data(), wide, coarse.data(),
                           candidates.data());
        if (refine == 0) {
          std::copy_n(candidates.begin(), queries * k, found.begin());
        } else {
          rerank_exactly(vectors.data(), dim, asked.data(), queries, candidates.data(), wide, k,
                         scores.data(), found.data());
        }
      });
      const auto name = "np" + std::to_string(nprobe) + "_x" + std::to_string(refine);
      state.counters["recall_" + name] = recall_at(exact, found, queries, k);
      state.counters["qps_" + name] = queries / seconds;
    }
  }
  const auto path = (fs::temp_directory_path() / "kvchain-bench-ivfpq.index").string();
  write_faiss_index_atomic(*index, path);
  state.counters["index_MB"] = static_cast<double>(fs::file_size(path)) / 1e6;
  state.counters["flat_MB"] = static_cast<double>(n * dim * sizeof(float)) / 1e6;
  state.counters["anon_peak_GB"] = memory.peak_gb();
  state.counters["flat_qps"] = queries / flat_seconds;
  state.counters["lists"] = static_cast<double>(spec.ivf_lists);
  state.counters["codes"] = static_cast<double>(spec.pq_subquantizers);
  fs::remove(path);
}

BENCHMARK(BM_Bm25Index)
    ->ArgsProduct({{100'000, 1'000'000, 10'000'000}, {1, 2}})
    ->Args({21'000'000, 2})
    ->ArgNames({"passages", "threads"})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK(BM_Bm25Query)
    ->ArgsProduct({{100'000, 1'000'000, 10'000'000}, {1, 2}, {0, 1}})
    ->ArgsProduct({{21'000'000}, {2}, {0, 1}})
    ->ArgNames({"passages", "threads", "max_score"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// 10M at 4,096 lists rather than the default 12,649 (k-means over the default's training sample
// alone would take hours on two cores), with the 192 codes a vector that reach recall 0.9 at 1M.
BENCHMARK(BM_DenseIvfPq)
    ->ArgsProduct({{100'000, 1'000'000}, {0}, {0, 192}})
    ->Args({10'000'000, 4096, 192})
    ->ArgNames({"vectors", "lists", "codes"})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
}  // namespace kvchain::retrievers

BENCHMARK_MAIN();
