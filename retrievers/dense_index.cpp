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
#include <numeric>
#include <utility>
#include <vector>

#include "engine/adapters/adapter.h"
#include "engine/io/atomic_file.h"
#include "engine/io/content_hash.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/io/named_values.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"
#include "engine/tokenizer/bpe_tokenizer.h"
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

// A causal LM's final hidden states, pooled and L2-normalised, as float32 vectors on the CPU.
// Texts are tokenized without special tokens, so an empty text has no tokens and becomes the
// zero vector (whose normalisation stays zero rather than NaN).
class Encoder {
 public:
  Encoder(const std::string& model_dir, torch::Device device, Pooling pooling, int64_t max_tokens,
          int64_t batch_size)
      : model_(load_model(model_dir, device)),
        tokenizer_(load_tokenizer_beside(model_dir, "the dense encoder")),
        pooling_(pooling),
        max_tokens_(max_tokens),
        batch_size_(batch_size) {
    model_->eval();
  }

  int64_t dim() const { return model_->config().hidden_size; }
  std::string fingerprint() const { return model_fingerprint(*model_); }

  // [texts.size(), dim]; `truncated`, when given, grows by the texts cut to max_tokens.
  torch::Tensor encode(const std::vector<std::string>& texts, int64_t* truncated = nullptr) const {
    std::vector<std::vector<int64_t>> ids(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      ids[i] = tokenizer_.encode(texts[i]);
      if (static_cast<int64_t>(ids[i].size()) > max_tokens_) {
        ids[i].resize(max_tokens_);
        if (truncated != nullptr) ++*truncated;
      }
    }
    std::vector<int64_t> order(ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return ids[a].size() < ids[b].size(); });

    auto out = torch::empty({static_cast<int64_t>(texts.size()), dim()}, torch::kFloat32);
    for (size_t start = 0; start < order.size(); start += batch_size_) {
      const auto end = std::min(order.size(), start + static_cast<size_t>(batch_size_));
      const std::vector<int64_t> rows(order.begin() + start, order.begin() + end);
      out.index_copy_(0, torch::tensor(rows, torch::kInt64), encode_batch(ids, rows));
    }
    return out;
  }

 private:
  // Right padding needs no attention mask: under the causal mask a real token never sees the
  // padding after it, so its hidden state equals that of the unpadded sequence.
  torch::Tensor encode_batch(const std::vector<std::vector<int64_t>>& ids,
                             const std::vector<int64_t>& rows) const {
    const auto batch = static_cast<int64_t>(rows.size());
    std::vector<int64_t> lengths(batch);
    for (int64_t b = 0; b < batch; ++b) lengths[b] = static_cast<int64_t>(ids[rows[b]].size());
    const int64_t t = *std::max_element(lengths.begin(), lengths.end());
    if (t == 0) return torch::zeros({batch, dim()}, torch::kFloat32);

    auto input = torch::zeros({batch, t}, torch::kInt64);
    for (int64_t b = 0; b < batch; ++b) {
      const auto& row = ids[rows[b]];
      input[b].narrow(0, 0, lengths[b]).copy_(torch::tensor(row, torch::kInt64));
    }
    torch::NoGradGuard no_grad;
    ForwardArgs args;
    args.input_ids = input;
    args.last_logits_only = true;  // the logits are unused; this spares a [B,T,V] tensor
    const auto hidden = model_->forward(args).hidden_states.to(torch::kFloat32);
    const auto length =
        torch::tensor(lengths, torch::kInt64).to(hidden.device()).unsqueeze(1);  // [B,1]
    const auto real = torch::arange(t, length.options()).unsqueeze(0) < length;  // [B,T]
    torch::Tensor pooled;
    if (pooling_ == Pooling::mean) {
      pooled = (hidden * real.unsqueeze(2)).sum(1) / length.clamp_min(1);
    } else {
      const auto last = (length - 1).clamp_min(0).unsqueeze(2).expand({batch, 1, dim()});
      pooled = hidden.gather(1, last).squeeze(1) * (length > 0);
    }
    return torch::nn::functional::normalize(
               pooled, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1))
        .cpu();
  }

  std::shared_ptr<LlamaForCausalLM> model_;
  BpeTokenizer tokenizer_;
  Pooling pooling_;
  int64_t max_tokens_, batch_size_;
};

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
  int64_t max_tokens = 0, dim = 0, passages = 0;
  std::string checksum;
};

// What ties an index together: the encoder (its fingerprint), the settings it encoded with and
// the bytes of index.faiss and doc_ids.txt. A file swapped in, an edited pooling or another
// checkpoint at the model's path changes it.
std::string index_checksum(const Encoder& encoder, const Manifest& manifest, const fs::path& root) {
  return content_hash(Json{{"encoder", encoder.fingerprint()},
                           {"pooling", pooling_name(manifest.pooling)},
                           {"max_tokens", manifest.max_tokens},
                           {"dim", manifest.dim},
                           {"passages", manifest.passages},
                           {"faiss", file_content_hash((root / kFaissFile).string())},
                           {"doc_ids", file_content_hash((root / kDocIdsFile).string())}}
                          .dump());
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
  DenseRetriever(std::unique_ptr<Encoder> encoder, std::unique_ptr<faiss::Index> index,
                 std::vector<std::string> doc_ids)
      : encoder_(std::move(encoder)), index_(std::move(index)), doc_ids_(std::move(doc_ids)) {}

  std::vector<HitList> search(const std::vector<std::string>& queries, int64_t k,
                              int threads) const override {
    if (k <= 0) throw Error("dense search: k must be positive, got " + std::to_string(k));
    if (threads < 1) {
      throw Error("dense search: threads must be at least 1, got " + std::to_string(threads));
    }
    if (queries.empty()) return {};
    const auto vectors = encoder_->encode(queries);
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

  std::unique_ptr<Encoder> encoder_;
  std::unique_ptr<faiss::Index> index_;
  std::vector<std::string> doc_ids_;
};

constexpr NamedValue<Pooling> kPoolings[] = {{Pooling::mean, "mean"}, {Pooling::last, "last"}};

}  // namespace

Pooling parse_pooling(const std::string& name) {
  return parse_name(kPoolings, name, "pooling");
}

std::string pooling_name(Pooling pooling) {
  return name_of(kPoolings, pooling);
}

void build_dense_index(const DenseIndexOptions& options) {
  check_options(options);
  const Encoder encoder(options.model_dir, parse_device(options.device), options.pooling,
                        options.max_tokens, options.batch_size);
  CorpusReader corpus(options.corpus);
  auto index = make_faiss_index(options, encoder.dim());
  const fs::path out(options.out_dir);
  fs::create_directories(out);
  // Until the new manifest is written, the directory must not pass for a finished index.
  fs::remove(out / kIndexManifest);
  NpyWriter embeddings((out / kEmbeddingsFile).string(), encoder.dim());
  AtomicFileWriter doc_ids((out / kDocIdsFile).string());

  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int64_t passages = 0, truncated = 0;
  std::vector<std::string> ids, texts;
  while (read_chunk(corpus, ids, texts)) {
    const auto vectors = encoder.encode(texts, &truncated);
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
  const Manifest manifest{"", options.pooling, options.max_tokens, encoder.dim(), passages, ""};
  write_json_file_atomic((out / kIndexManifest).string(),
                         {{"kind", "dense"},
                          {"format_version", kFormatVersion},
                          {"model", absolute_path(options.model_dir)},
                          {"pooling", pooling_name(options.pooling)},
                          {"max_tokens", options.max_tokens},
                          {"faiss", options.hnsw ? "hnsw" : "flat"},
                          {"dim", encoder.dim()},
                          {"passages", passages},
                          {"corpus", absolute_path(options.corpus)},
                          {"checksum", index_checksum(encoder, manifest, out)}});
  std::cerr << "dense index: wrote " << passages << " passages to " << options.out_dir << " in "
            << seconds() << " s\n";
}

std::unique_ptr<Retriever> open_dense_index(const std::string& dir, const std::string& device) {
  const fs::path root(dir);
  const auto manifest = read_manifest((root / kIndexManifest).string());
  auto index = read_faiss_index((root / kFaissFile).string(), manifest);
  auto doc_ids = read_doc_ids((root / kDocIdsFile).string(), manifest.passages);
  auto encoder =
      std::make_unique<Encoder>(manifest.model_dir, parse_device(device), manifest.pooling,
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
  return std::make_unique<DenseRetriever>(std::move(encoder), std::move(index), std::move(doc_ids));
}

}  // namespace kvchain::retrievers
