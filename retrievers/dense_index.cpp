#include "retrievers/dense_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#include <omp.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>
#include <vector>

#include "engine/io/atomic_file.h"
#include "engine/io/content_hash.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/model/device.h"
#include "retrievers/corpus.h"

namespace kvchain::retrievers {
namespace {

namespace fs = std::filesystem;
using FaissLabel = faiss::Index::idx_t;

constexpr int64_t kFormatVersion = 2;  // 2: index.json holds the files' checksum
constexpr const char* kEmbeddingsFile = "embeddings.npy";
constexpr const char* kFaissFile = "faiss.index";
constexpr const char* kDocIdsFile = "doc_ids.txt";
// Passages read, encoded and indexed together: each chunk is sorted by length so batches carry
// little padding, without the whole corpus in memory.
constexpr int64_t kChunkPassages = 1024;

// A float32 [rows, cols] NumPy .npy (format 1.0) streamed before its row count is known: the
// header is padded to a fixed size and rewritten on commit.
class NpyWriter {
 public:
  NpyWriter(const std::string& path, int64_t cols) : file_(path), cols_(cols) {
    file_.stream() << header();
  }

  void append(const torch::Tensor& rows) {
    const auto data = rows.to(torch::kCPU, torch::kFloat32).contiguous();
    file_.stream().write(reinterpret_cast<const char*>(data.data_ptr<float>()),
                         static_cast<std::streamsize>(data.numel() * sizeof(float)));
    rows_ += data.size(0);
  }

  void commit() {
    file_.stream().seekp(0);
    file_.stream() << header();
    file_.commit();
  }

 private:
  // NumPy wants the data 64-byte aligned; 128 bytes hold any two int64 dimensions.
  static constexpr size_t kHeaderBytes = 128;
  static constexpr size_t kPreambleBytes = 10;  // magic, version 1.0, uint16 dict length

  std::string header() const {
    auto dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows_) +
                ", " + std::to_string(cols_) + "), }";
    dict.resize(kHeaderBytes - kPreambleBytes - 1, ' ');
    dict += '\n';
    const auto length = static_cast<uint16_t>(dict.size());
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(length & 0xff);
    out += static_cast<char>(length >> 8);
    return out + dict;
  }

  AtomicFileWriter file_;
  int64_t cols_, rows_ = 0;
};

std::unique_ptr<faiss::Index> make_faiss_index(const DenseIndexOptions& options, int64_t dim) {
  if (!options.hnsw) return std::make_unique<faiss::IndexFlatIP>(dim);
  return std::make_unique<faiss::IndexHNSWFlat>(dim, static_cast<int>(options.hnsw_neighbors),
                                                faiss::METRIC_INNER_PRODUCT);
}

void write_faiss_index_atomic(const faiss::Index& index, const std::string& path) {
  const auto tmp = path + ".tmp";
  try {
    faiss::write_index(&index, tmp.c_str());
  } catch (const faiss::FaissException& e) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write the FAISS index (" + e.what() + ")");
  }
  fs::rename(tmp, path);
}

void check_options(const DenseIndexOptions& options) {
  if (options.batch_size < 1) throw Error("dense index: batch size must be at least 1");
  if (options.max_tokens < 1) throw Error("dense index: max tokens must be at least 1");
  if (options.hnsw && options.hnsw_neighbors < 2) {
    throw Error("dense index: HNSW needs at least 2 neighbors");
  }
}

// Fills `ids` and `texts` with up to kChunkPassages passages; false when none were left.
bool read_chunk(CorpusReader& corpus, std::vector<std::string>& ids,
                std::vector<std::string>& texts) {
  ids.clear();
  texts.clear();
  Passage passage;
  while (static_cast<int64_t>(ids.size()) < kChunkPassages && corpus.next(passage)) {
    // doc_ids.txt holds one id per line.
    if (passage.id.find_first_of("\r\n") != std::string::npos) {
      throw Error(corpus.where() + ": field 'id' contains a line break");
    }
    ids.push_back(std::move(passage.id));
    texts.push_back(std::move(passage.contents));
  }
  return !ids.empty();
}

std::string absolute_path(const std::string& path) {
  return fs::absolute(path).lexically_normal().string();
}

struct Manifest {
  std::string model_dir;
  Pooling pooling = Pooling::mean;
  std::string query_prefix, passage_prefix;
  int64_t max_tokens = 0, dim = 0, passages = 0;
  std::string checksum;
};

// What ties an index together: the encoder (its fingerprint), the settings it encoded with and
// the bytes of index.faiss and doc_ids.txt. A file swapped in, an edited pooling or another
// checkpoint at the model's path changes it.
std::string index_checksum(const TextEncoder& encoder, const Manifest& manifest,
                           const fs::path& root) {
  Json settings{{"encoder", encoder.fingerprint()},
                {"pooling", pooling_name(manifest.pooling)},
                {"max_tokens", manifest.max_tokens},
                {"dim", manifest.dim},
                {"passages", manifest.passages},
                {"faiss", file_content_hash((root / kFaissFile).string())},
                {"doc_ids", file_content_hash((root / kDocIdsFile).string())}};
  // Prefixes enter only when set, so that indexes built before them keep their checksum.
  if (!manifest.query_prefix.empty()) settings["query_prefix"] = manifest.query_prefix;
  if (!manifest.passage_prefix.empty()) settings["passage_prefix"] = manifest.passage_prefix;
  return content_hash(settings.dump());
}

// `texts`, each after `prefix` (E5's "query: " and "passage: ").
std::vector<std::string> prefixed(const std::string& prefix, std::vector<std::string> texts) {
  if (!prefix.empty()) {
    for (auto& text : texts) text.insert(0, prefix);
  }
  return texts;
}

Manifest read_manifest(const std::string& path) {
  const auto json = read_json_file(path);
  const auto field = [&](const char* name) -> const Json& {
    return require_field(json, name, path);
  };
  const auto where = [&](const char* name) { return path + ": field '" + name + "'"; };
  const auto kind = json_string(field("kind"), where("kind"));
  if (kind != "dense") throw Error(where("kind") + " is '" + kind + "', expected 'dense'");
  const auto version = json_int(field("format_version"), where("format_version"));
  if (version != kFormatVersion) {
    throw Error(where("format_version") + " is " + std::to_string(version) +
                "; this build reads version " + std::to_string(kFormatVersion));
  }
  Manifest manifest;
  manifest.model_dir = json_string(field("model"), where("model"));
  try {
    manifest.pooling = parse_pooling(json_string(field("pooling"), where("pooling")));
  } catch (const Error& e) {
    throw Error(where("pooling") + ": " + e.what());
  }
  for (auto [name, value] : {std::pair{"query_prefix", &manifest.query_prefix},
                             std::pair{"passage_prefix", &manifest.passage_prefix}}) {
    if (json.contains(name)) *value = json_string(json[name], where(name));
  }
  manifest.max_tokens = json_int(field("max_tokens"), where("max_tokens"));
  manifest.dim = json_int(field("dim"), where("dim"));
  manifest.passages = json_int(field("passages"), where("passages"));
  if (manifest.max_tokens < 1 || manifest.dim < 1 || manifest.passages < 1) {
    throw Error(path + ": fields 'max_tokens', 'dim' and 'passages' must be positive");
  }
  manifest.checksum = json_string(field("checksum"), where("checksum"));
  return manifest;
}

std::unique_ptr<faiss::Index> read_faiss_index(const std::string& path, const Manifest& manifest) {
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(path.c_str()));
  } catch (const faiss::FaissException& e) {
    throw Error(path + ": cannot read the FAISS index (" + e.what() + ")");
  }
  if (index->d != manifest.dim || index->ntotal != manifest.passages) {
    throw Error(path + ": holds " + std::to_string(index->ntotal) + " vectors of dimension " +
                std::to_string(index->d) + ", but index.json says " +
                std::to_string(manifest.passages) + " of dimension " +
                std::to_string(manifest.dim));
  }
  return index;
}

std::vector<std::string> read_doc_ids(const std::string& path, int64_t expected) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the document ids");
  std::vector<std::string> ids;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) throw Error(path + ":" + std::to_string(ids.size() + 1) + ": empty id");
    ids.push_back(std::move(line));
  }
  if (static_cast<int64_t>(ids.size()) != expected) {
    throw Error(path + ": holds " + std::to_string(ids.size()) + " ids, but the index holds " +
                std::to_string(expected) + " passages");
  }
  return ids;
}

// FAISS parallelises with OpenMP, whose thread count is process-wide (libtorch shares it):
// set for one search, then restored.
class OmpThreadsScope {
 public:
  explicit OmpThreadsScope(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~OmpThreadsScope() { omp_set_num_threads(saved_); }
  OmpThreadsScope(const OmpThreadsScope&) = delete;
  OmpThreadsScope& operator=(const OmpThreadsScope&) = delete;

 private:
  int saved_;
};

class DenseRetriever : public Retriever {
 public:
  DenseRetriever(std::unique_ptr<TextEncoder> encoder, std::string query_prefix,
                 std::unique_ptr<faiss::Index> index, std::vector<std::string> doc_ids)
      : encoder_(std::move(encoder)),
        query_prefix_(std::move(query_prefix)),
        index_(std::move(index)),
        doc_ids_(std::move(doc_ids)) {}

  std::vector<HitList> search(const std::vector<std::string>& queries, int64_t k,
                              int threads) const override {
    if (k <= 0) throw Error("dense search: k must be positive, got " + std::to_string(k));
    if (threads < 1) {
      throw Error("dense search: threads must be at least 1, got " + std::to_string(threads));
    }
    if (queries.empty()) return {};
    const auto vectors = encoder_->encode(prefixed(query_prefix_, queries));
    const auto n = static_cast<int64_t>(queries.size());
    const auto top = std::min(k, size());
    std::vector<float> scores(n * top);
    std::vector<FaissLabel> labels(n * top);
    {
      OmpThreadsScope scope(threads);
      index_->search(n, vectors.data_ptr<float>(), top, scores.data(), labels.data());
    }
    const auto zero = (vectors == 0).all(1);
    std::vector<HitList> out(n);
    for (int64_t q = 0; q < n; ++q) {
      out[q] = zero[q].item<bool>() ? first_passages(top)
                                    : ranked(scores.data() + q * top, labels.data() + q * top, top);
    }
    return out;
  }

  int64_t size() const override { return static_cast<int64_t>(doc_ids_.size()); }

 private:
  // FAISS does not promise an order among equal scores; corpus order makes rankings stable.
  HitList ranked(const float* scores, const FaissLabel* labels, int64_t top) const {
    std::vector<std::pair<float, FaissLabel>> found;
    for (int64_t i = 0; i < top; ++i) {
      if (labels[i] >= 0) found.emplace_back(scores[i], labels[i]);  // HNSW may find fewer
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    HitList hits;
    for (const auto& [score, label] : found) hits.push_back({doc_ids_[label], score});
    return hits;
  }

  // A zero query vector scores 0 against everything; by the tie rule the first passages win.
  HitList first_passages(int64_t top) const {
    HitList hits;
    for (int64_t i = 0; i < top; ++i) hits.push_back({doc_ids_[i], 0.0f});
    return hits;
  }

  std::unique_ptr<TextEncoder> encoder_;
  std::string query_prefix_;
  std::unique_ptr<faiss::Index> index_;
  std::vector<std::string> doc_ids_;
};

}  // namespace

void build_dense_index(const DenseIndexOptions& options) {
  check_options(options);
  const auto encoder = TextEncoder::open(options.model_dir, parse_device(options.device),
                                         options.pooling, options.max_tokens, options.batch_size);
  CorpusReader corpus(options.corpus);
  auto index = make_faiss_index(options, encoder->dim());
  const fs::path out(options.out_dir);
  fs::create_directories(out);
  // Until the new manifest is written, the directory must not pass for a finished index.
  fs::remove(out / kIndexManifest);
  NpyWriter embeddings((out / kEmbeddingsFile).string(), encoder->dim());
  AtomicFileWriter doc_ids((out / kDocIdsFile).string());

  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int64_t passages = 0, truncated = 0;
  std::vector<std::string> ids, texts;
  while (read_chunk(corpus, ids, texts)) {
    const auto vectors = encoder->encode(prefixed(options.passage_prefix, texts), &truncated);
    index->add(vectors.size(0), vectors.data_ptr<float>());
    embeddings.append(vectors);
    for (const auto& id : ids) doc_ids.stream() << id << '\n';
    passages += static_cast<int64_t>(ids.size());
    std::cerr << "dense index: " << passages << " passages, "
              << static_cast<int64_t>(passages / seconds()) << " passages/s\n";
  }
  if (passages == 0) throw Error(options.corpus + ": the corpus has no passages");
  if (truncated > 0) {
    std::cerr << "dense index: " << truncated << " of " << passages << " passages were longer than "
              << options.max_tokens << " tokens and were truncated\n";
  }

  write_faiss_index_atomic(*index, (out / kFaissFile).string());
  embeddings.commit();
  doc_ids.commit();
  const Manifest manifest{"",
                          options.pooling,
                          options.query_prefix,
                          options.passage_prefix,
                          options.max_tokens,
                          encoder->dim(),
                          passages,
                          ""};
  write_json_file_atomic((out / kIndexManifest).string(),
                         {{"kind", "dense"},
                          {"format_version", kFormatVersion},
                          {"model", absolute_path(options.model_dir)},
                          {"pooling", pooling_name(options.pooling)},
                          {"query_prefix", options.query_prefix},
                          {"passage_prefix", options.passage_prefix},
                          {"max_tokens", options.max_tokens},
                          {"faiss", options.hnsw ? "hnsw" : "flat"},
                          {"dim", encoder->dim()},
                          {"passages", passages},
                          {"corpus", absolute_path(options.corpus)},
                          {"checksum", index_checksum(*encoder, manifest, out)}});
  std::cerr << "dense index: wrote " << passages << " passages to " << options.out_dir << " in "
            << seconds() << " s\n";
}

std::unique_ptr<Retriever> open_dense_index(const std::string& dir, const std::string& device) {
  const fs::path root(dir);
  const auto manifest = read_manifest((root / kIndexManifest).string());
  auto index = read_faiss_index((root / kFaissFile).string(), manifest);
  auto doc_ids = read_doc_ids((root / kDocIdsFile).string(), manifest.passages);
  auto encoder = TextEncoder::open(manifest.model_dir, parse_device(device), manifest.pooling,
                                   manifest.max_tokens, DenseIndexOptions{}.batch_size);
  if (encoder->dim() != manifest.dim) {
    throw Error(manifest.model_dir + ": hidden size " + std::to_string(encoder->dim()) +
                " differs from the dimension " + std::to_string(manifest.dim) + " in " +
                (root / kIndexManifest).string());
  }
  if (index_checksum(*encoder, manifest, root) != manifest.checksum) {
    throw Error((root / kIndexManifest).string() + ": the encoder, settings, " + kFaissFile +
                " or doc_ids.txt are not the ones this index was built with (checksum " +
                manifest.checksum + "): rebuild it with `kvchain index --kind dense`");
  }
  return std::make_unique<DenseRetriever>(std::move(encoder), manifest.query_prefix,
                                          std::move(index), std::move(doc_ids));
}

}  // namespace kvchain::retrievers
