#include "retrievers/faiss_index.h"

#include <faiss/IVFlib.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <vector>

#include "engine/io/error.h"
#include "engine/io/named_values.h"

namespace kvchain::retrievers {
namespace {

constexpr NamedValue<FaissSpec::Kind> kKinds[] = {{FaissSpec::Kind::flat, "flat"},
                                                  {FaissSpec::Kind::hnsw, "hnsw"},
                                                  {FaissSpec::Kind::ivfpq, "ivfpq"}};
// FAISS's k-means wants this many training vectors a centroid.
constexpr int64_t kTrainPerCentroid = 39;
constexpr int64_t kAddBlock = 65536;  // rows added at a time

// The largest divisor of `dim` at most `limit`.
int64_t divisor_at_most(int64_t dim, int64_t limit) {
  for (int64_t m = std::max<int64_t>(1, std::min(limit, dim)); m > 1; --m) {
    if (dim % m == 0) return m;
  }
  return 1;
}

}  // namespace

FaissSpec::Kind parse_faiss_kind(const std::string& name) {
  return parse_name(kKinds, name, "faiss index kind");
}

std::string faiss_kind_name(FaissSpec::Kind kind) {
  return name_of(kKinds, kind);
}

FaissSpec resolve_faiss_spec(FaissSpec spec, int64_t dim, int64_t vectors) {
  if (spec.kind == FaissSpec::Kind::hnsw && spec.hnsw_neighbors < 2) {
    throw Error("dense index: HNSW needs at least 2 neighbors");
  }
  if (spec.nprobe < 1) throw Error("dense index: nprobe must be at least 1");
  if (spec.refine < 0) throw Error("dense index: refine must not be negative");
  if (spec.kind != FaissSpec::Kind::ivfpq) return spec;
  if (spec.ivf_lists == 0) {
    const auto by_size = static_cast<int64_t>(4 * std::sqrt(static_cast<double>(vectors)));
    spec.ivf_lists = std::max<int64_t>(1, std::min(by_size, vectors / kTrainPerCentroid));
  }
  if (spec.ivf_lists < 1 || spec.ivf_lists > vectors) {
    throw Error("dense index: " + std::to_string(spec.ivf_lists) + " IVF lists for " +
                std::to_string(vectors) + " passages (1 to the passage count)");
  }
  if (spec.train_sample == 0) {
    spec.train_sample = std::max<int64_t>(10000, 64 * spec.ivf_lists);
  }
  spec.train_sample = std::min(spec.train_sample, vectors);
  if (spec.pq_subquantizers == 0) spec.pq_subquantizers = divisor_at_most(dim, dim / 8);
  if (spec.pq_subquantizers < 1 || dim % spec.pq_subquantizers != 0) {
    throw Error("dense index: " + std::to_string(spec.pq_subquantizers) +
                " PQ subquantizers do not divide the dimension " + std::to_string(dim));
  }
  // Each subquantizer's k-means needs as many training vectors as its 2^bits centroids.
  const auto bits_by_sample =
      static_cast<int64_t>(std::floor(std::log2(static_cast<double>(spec.train_sample))));
  spec.pq_bits = std::min(spec.pq_bits, bits_by_sample);
  if (spec.pq_bits < 1 || spec.pq_bits > 16) {
    throw Error("dense index: PQ codes of " + std::to_string(spec.pq_bits) +
                " bits (1 to 16; too few passages to train on?)");
  }
  spec.nprobe = std::min(spec.nprobe, spec.ivf_lists);
  return spec;
}

std::unique_ptr<faiss::Index> make_faiss_index(const FaissSpec& spec, int64_t dim) {
  switch (spec.kind) {
    case FaissSpec::Kind::flat:
      return std::make_unique<faiss::IndexFlatIP>(dim);
    case FaissSpec::Kind::hnsw:
      return std::make_unique<faiss::IndexHNSWFlat>(dim, static_cast<int>(spec.hnsw_neighbors),
                                                    faiss::METRIC_INNER_PRODUCT);
    case FaissSpec::Kind::ivfpq: {
      auto index = std::make_unique<faiss::IndexIVFPQ>(new faiss::IndexFlatIP(dim), dim,
                                                       spec.ivf_lists, spec.pq_subquantizers,
                                                       spec.pq_bits, faiss::METRIC_INNER_PRODUCT);
      index->own_fields = true;  // the index deletes its coarse quantizer
      index->nprobe = spec.nprobe;
      return index;
    }
  }
  throw Error("dense index: unknown FAISS index kind");
}

void fill_faiss_index(faiss::Index& index, const FaissSpec& spec, const float* vectors, int64_t n,
                      int64_t dim) {
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  try {
    if (!index.is_trained) {
      const auto sample = std::min(spec.train_sample > 0 ? spec.train_sample : n, n);
      std::vector<float> rows(static_cast<size_t>(sample * dim));
      for (int64_t i = 0; i < sample; ++i) {
        const auto row = i * n / sample;  // evenly spaced: deterministic, spread over the corpus
        std::copy_n(vectors + row * dim, dim, rows.begin() + i * dim);
      }
      std::cerr << "dense index: training IVF-PQ on " << sample << " of " << n << " vectors\n";
      index.train(sample, rows.data());
      std::cerr << "dense index: trained in " << seconds() << " s\n";
    }
    for (int64_t row = 0; row < n; row += kAddBlock) {
      const auto count = std::min(kAddBlock, n - row);
      index.add(count, vectors + row * dim);
      if (n > kAddBlock) {
        std::cerr << "dense index: added " << row + count << " of " << n << " vectors\n";
      }
    }
  } catch (const faiss::FaissException& e) {
    throw Error(std::string("dense index: FAISS refused the vectors (") + e.what() + ")");
  }
}

void search_faiss_index(const faiss::Index& index, int64_t nprobe, int64_t n, const float* queries,
                        int64_t k, float* scores, faiss::Index::idx_t* labels) {
  const auto* ivf = faiss::ivflib::try_extract_index_ivf(&index);
  if (ivf != nullptr && nprobe > 0) {
    faiss::SearchParametersIVF params;
    params.nprobe = static_cast<size_t>(nprobe);
    index.search(n, queries, k, scores, labels, &params);
  } else {
    index.search(n, queries, k, scores, labels);
  }
}

void rerank_exactly(const float* vectors, int64_t dim, const float* queries, int64_t n_queries,
                    const faiss::Index::idx_t* candidates, int64_t per_query, int64_t k,
                    float* scores, faiss::Index::idx_t* labels) {
  std::vector<std::pair<float, faiss::Index::idx_t>> scored;
  for (int64_t q = 0; q < n_queries; ++q) {
    scored.clear();
    const float* query = queries + q * dim;
    for (int64_t i = 0; i < per_query; ++i) {
      const auto label = candidates[q * per_query + i];
      if (label < 0) continue;
      const float* row = vectors + label * dim;
      double dot = 0;
      for (int64_t j = 0; j < dim; ++j) dot += static_cast<double>(query[j]) * row[j];
      scored.emplace_back(static_cast<float>(dot), label);
    }
    const auto keep = std::min<int64_t>(k, static_cast<int64_t>(scored.size()));
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                      [](const auto& a, const auto& b) {
                        return a.first != b.first ? a.first > b.first : a.second < b.second;
                      });
    for (int64_t i = 0; i < k; ++i) {
      scores[q * k + i] = i < keep ? scored[i].first : 0.0f;
      labels[q * k + i] = i < keep ? scored[i].second : -1;
    }
  }
}

void write_faiss_index_atomic(const faiss::Index& index, const std::string& path) {
  const auto tmp = path + ".tmp";
  try {
    faiss::write_index(&index, tmp.c_str());
  } catch (const faiss::FaissException& e) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write the FAISS index (" + e.what() + ")");
  }
  std::filesystem::rename(tmp, path);
}

std::unique_ptr<faiss::Index> read_faiss_index_file(const std::string& path) {
  try {
    return std::unique_ptr<faiss::Index>(faiss::read_index(path.c_str()));
  } catch (const faiss::FaissException& e) {
    throw Error(path + ": cannot read the FAISS index (" + e.what() + ")");
  }
}

}  // namespace kvchain::retrievers
