#pragma once

#include <faiss/Index.h>

#include <cstdint>
#include <memory>
#include <string>

namespace kvchain::retrievers {

// Which FAISS index holds a dense index's vectors, all by inner product: exact search (flat),
// HNSW graphs, or IVF-PQ (an inverted file of `ivf_lists` lists over product-quantized codes
// of `pq_subquantizers` x `pq_bits` bits a vector), which searches `nprobe` lists and keeps
// about 1/16 to 1/64 of flat's memory: the kind for millions of passages.
struct FaissSpec {
  enum class Kind { flat, hnsw, ivfpq };
  Kind kind = Kind::flat;
  int64_t hnsw_neighbors = 32;
  int64_t ivf_lists = 0;         // 0: about 4 sqrt(n), with 39 training vectors a list
  int64_t pq_subquantizers = 0;  // 0: one per 8 dimensions (a divisor of the dimension)
  int64_t pq_bits = 8;           // fewer where the training sample is small
  int64_t train_sample = 0;      // vectors IVF-PQ trains on; 0: 64 a list, at least 10,000
  int64_t nprobe = 16;           // lists searched by default (index.json records it)
  // IVF-PQ's candidates a hit, re-scored exactly from the float vectors on disk (0: none):
  // the codes find the neighbourhood, the floats order it. 100 keeps recall@10 above 0.9 of
  // flat's at the benchmark's 1M and 10M vectors, where 10 does not (bench/README.md).
  int64_t refine = 100;
};
FaissSpec::Kind parse_faiss_kind(const std::string& name);
std::string faiss_kind_name(FaissSpec::Kind kind);

// `spec` with its defaults resolved for `vectors` vectors of dimension `dim` (unchanged for
// flat and HNSW); an impossible setting is an Error naming it.
FaissSpec resolve_faiss_spec(FaissSpec spec, int64_t dim, int64_t vectors);

// An empty index of `spec` (resolved) for vectors of dimension `dim`.
std::unique_ptr<faiss::Index> make_faiss_index(const FaissSpec& spec, int64_t dim);

// Fills `index` with the n rows of `vectors` ([n, dim] float32, row-major, e.g. a memory-mapped
// embeddings.npy): IVF-PQ first trains on evenly spaced rows (spec.train_sample), then every
// index adds the rows a block at a time, each stage reported on stderr.
void fill_faiss_index(faiss::Index& index, const FaissSpec& spec, const float* vectors, int64_t n,
                      int64_t dim);

// Searches with `nprobe` lists where the index is an inverted file (0: its own setting).
void search_faiss_index(const faiss::Index& index, int64_t nprobe, int64_t n, const float* queries,
                        int64_t k, float* scores, faiss::Index::idx_t* labels);

// Re-scores each query's `candidates` labels (-1 for none) by exact inner product with the rows
// of `vectors` ([n, dim]) and keeps the best `k` of them in `scores` and `labels` (best first,
// the lower label first on ties; -1 and 0 where fewer were found).
void rerank_exactly(const float* vectors, int64_t dim, const float* queries, int64_t n_queries,
                    const faiss::Index::idx_t* candidates, int64_t per_query, int64_t k,
                    float* scores, faiss::Index::idx_t* labels);

// Writes `index` to `path` atomically; reads one back (into memory: Debian's FAISS 1.7.3 maps
// only on-disk inverted lists, which an index built in one piece does not have), an Error
// naming the file otherwise.
void write_faiss_index_atomic(const faiss::Index& index, const std::string& path);
std::unique_ptr<faiss::Index> read_faiss_index_file(const std::string& path);

}  // namespace kvchain::retrievers
