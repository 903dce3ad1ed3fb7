#include "retrievers/dense_index.h"

#include <faiss/Index.h>
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
#include "retrievers/faiss_index.h"
#include "retrievers/npy_file.h"

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

void check_options(const DenseIndexOptions& options) {
  if (options.batch_size < 1) throw Error("dense index: batch size must be at least 1");
  if (options.max_tokens < 1) throw Error("dense index: max tokens must be at least 1");
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
  FaissSpec::Kind faiss = FaissSpec::Kind::flat;
  int64_t nprobe = 0, refine = 0;  // IVF-PQ's lists searched and candidates re-scored a hit
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
  if (manifest.faiss == FaissSpec::Kind::ivfpq) {
    settings.update({{"nprobe", manifest.nprobe}, {"refine", manifest.refine}});
  }
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
  if (json.contains("faiss")) {
    try {
      manifest.faiss = parse_faiss_kind(json_string(json["faiss"], where("faiss")));
    } catch (const Error& e) {
      throw Error(where("faiss") + ": " + e.what());
    }
  }
  if (manifest.faiss == FaissSpec::Kind::ivfpq) {
    manifest.nprobe = json_int(field("nprobe"), where("nprobe"));
    if (manifest.nprobe < 1) throw Error(where("nprobe") + " must be at least 1");
    manifest.refine = json_int(field("refine"), where("refine"));
    if (manifest.refine < 0) throw Error(where("refine") + " must not be negative");
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
  auto index = read_faiss_index_file(path);
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
  // `vectors` (the index's embeddings.npy) re-scores `refine` candidates a hit when given.
  DenseRetriever(std::unique_ptr<TextEncoder> encoder, std::string query_prefix,
                 std::unique_ptr<faiss::Index> index, int64_t nprobe,
                 std::unique_ptr<MappedNpy> vectors, int64_t refine,
                 std::vector<std::string> doc_ids)
      : encoder_(std::move(encoder)),
        query_prefix_(std::move(query_prefix)),
        index_(std::move(index)),
        nprobe_(nprobe),
        vectors_(std::move(vectors)),
        refine_(refine),
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
      if (vectors_) {
        const auto wide = std::min(size(), top * refine_);
        std::vector<float> coarse(n * wide);
        std::vector<FaissLabel> candidates(n * wide);
        search_faiss_index(*index_, nprobe_, n, vectors.data_ptr<float>(), wide, coarse.data(),
                           candidates.data());
        rerank_exactly(vectors_->data(), vectors_->cols(), vectors.data_ptr<float>(), n,
                       candidates.data(), wide, top, scores.data(), labels.data());
      } else {
        search_faiss_index(*index_, nprobe_, n, vectors.data_ptr<float>(), top, scores.data(),
                           labels.data());
      }
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
      // HNSW and IVF-PQ may find fewer.
      if (labels[i] >= 0) found.emplace_back(scores[i], labels[i]);
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
  int64_t nprobe_;
  std::unique_ptr<MappedNpy> vectors_;
  int64_t refine_;
  std::vector<std::string> doc_ids_;
};

}  // namespace

void build_dense_index(const DenseIndexOptions& options) {
  check_options(options);
  const auto encoder = TextEncoder::open(options.model_dir, parse_device(options.device),
                                         options.pooling, options.max_tokens, options.batch_size);
  // Settings no corpus size can excuse are refused before any passage is encoded.
  resolve_faiss_spec(options.faiss, encoder->dim(), int64_t{1} << 40);
  CorpusReader corpus(options.corpus);
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
    embeddings.append(encoder->encode(prefixed(options.passage_prefix, texts), &truncated));
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

  embeddings.commit();
  doc_ids.commit();
  // The index is filled from the vectors on disk, so that IVF-PQ trains on a sample of the whole
  // corpus and no kind holds the float vectors in memory twice.
  const auto spec = resolve_faiss_spec(options.faiss, encoder->dim(), passages);
  {
    const MappedNpy vectors((out / kEmbeddingsFile).string());
    auto index = make_faiss_index(spec, encoder->dim());
    fill_faiss_index(*index, spec, vectors.data(), vectors.rows(), vectors.cols());
    write_faiss_index_atomic(*index, (out / kFaissFile).string());
  }
  const Manifest manifest{"",
                          spec.kind,
                          spec.kind == FaissSpec::Kind::ivfpq ? spec.nprobe : 0,
                          spec.kind == FaissSpec::Kind::ivfpq ? spec.refine : 0,
                          options.pooling,
                          options.query_prefix,
                          options.passage_prefix,
                          options.max_tokens,
                          encoder->dim(),
                          passages,
                          ""};
  Json json{{"kind", "dense"},
            {"format_version", kFormatVersion},
            {"model", absolute_path(options.model_dir)},
            {"pooling", pooling_name(options.pooling)},
            {"query_prefix", options.query_prefix},
            {"passage_prefix", options.passage_prefix},
            {"max_tokens", options.max_tokens},
            {"faiss", faiss_kind_name(spec.kind)},
            {"dim", encoder->dim()},
            {"passages", passages},
            {"corpus", absolute_path(options.corpus)},
            {"checksum", index_checksum(*encoder, manifest, out)}};
  if (spec.kind == FaissSpec::Kind::ivfpq) {
    json.update({{"nprobe", spec.nprobe},
                 {"refine", spec.refine},
                 {"ivf_lists", spec.ivf_lists},
                 {"pq_subquantizers", spec.pq_subquantizers},
                 {"pq_bits", spec.pq_bits},
                 {"train_sample", spec.train_sample}});
  }
  write_json_file_atomic((out / kIndexManifest).string(), json);
  std::cerr << "dense index: wrote " << passages << " passages to " << options.out_dir << " in "
            << seconds() << " s\n";
}

std::unique_ptr<Retriever> open_dense_index(const std::string& dir, const std::string& device,
                                            int64_t nprobe) {
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
  if (nprobe > 0 && manifest.faiss != FaissSpec::Kind::ivfpq) {
    throw Error(dir + ": nprobe applies to an IVF-PQ index, and this one is " +
                faiss_kind_name(manifest.faiss));
  }
  // IVF-PQ re-scores from the vectors on disk, which must be the ones the index holds.
  std::unique_ptr<MappedNpy> vectors;
  if (manifest.refine > 0) {
    vectors = std::make_unique<MappedNpy>((root / kEmbeddingsFile).string());
    if (vectors->rows() != manifest.passages || vectors->cols() != manifest.dim) {
      throw Error((root / kEmbeddingsFile).string() + ": holds " + std::to_string(vectors->rows()) +
                  " x " + std::to_string(vectors->cols()) + " vectors, but index.json says " +
                  std::to_string(manifest.passages) + " x " + std::to_string(manifest.dim));
    }
    vectors->advise(MappedFile::Access::kRandom);  // a few scattered rows a query
  }
  return std::make_unique<DenseRetriever>(std::move(encoder), manifest.query_prefix,
                                          std::move(index), nprobe > 0 ? nprobe : manifest.nprobe,
                                          std::move(vectors), manifest.refine, std::move(doc_ids));
}

}  // namespace kvchain::retrievers
