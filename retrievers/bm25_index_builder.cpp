#include "retrievers/bm25_index_builder.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "engine/concurrency/parallel_indices.h"
#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "retrievers/analyzer.h"
#include "retrievers/bm25_index_format.h"
#include "retrievers/corpus.h"
#include "retrievers/lucene_bm25.h"
#include "retrievers/posting_blocks.h"
#include "retrievers/retriever.h"

namespace kvchain::retrievers {
namespace fs = std::filesystem;
namespace {

constexpr size_t kChunk = 4096;  // passages analysed together

struct AnalyzedPassage {
  std::vector<std::pair<std::string, uint32_t>> counts;  // terms in byte order
  uint32_t length = 0;
};

AnalyzedPassage analyze(const Analyzer& analyzer, const std::string& text) {
  auto terms = analyzer.terms(text);
  AnalyzedPassage out;
  out.length = static_cast<uint32_t>(terms.size());
  std::sort(terms.begin(), terms.end());
  for (auto& term : terms) {
    if (!out.counts.empty() && out.counts.back().first == term) {
      ++out.counts.back().second;
    } else {
      out.counts.emplace_back(std::move(term), 1);
    }
  }
  return out;
}

std::vector<AnalyzedPassage> analyze_chunk(
    const std::vector<Passage>& chunk, const std::vector<std::unique_ptr<Analyzer>>& analyzers) {
  std::vector<AnalyzedPassage> out(chunk.size());
  parallel_indices(chunk.size(), analyzers.size(), [&](size_t worker, size_t i) {
    out[i] = analyze(*analyzers[worker], chunk[i].contents);
  });
  return out;
}

template <typename T>
void write_raw(std::ostream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
bool read_raw(std::istream& in, T& value) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&value), sizeof(T)));
}

using PostingMap = std::unordered_map<std::string, std::vector<Posting>>;

// A spilled run: (uint32 length, term, uint64 count, postings) per term, terms in byte order.
void write_run(const std::string& path, PostingMap& postings) {
  std::vector<std::string> terms;
  terms.reserve(postings.size());
  for (const auto& item : postings) terms.push_back(item.first);
  std::sort(terms.begin(), terms.end());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& term : terms) {
    const auto& list = postings[term];
    write_raw(out, static_cast<uint32_t>(term.size()));
    out.write(term.data(), static_cast<std::streamsize>(term.size()));
    write_raw(out, static_cast<uint64_t>(list.size()));
    out.write(reinterpret_cast<const char*>(list.data()),
              static_cast<std::streamsize>(list.size() * sizeof(Posting)));
  }
  if (!out.flush()) throw Error(path + ": write failed (disk full?)");
  postings.clear();
}

class RunReader {
 public:
  explicit RunReader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw Error(path + ": cannot reopen the spilled run");
    advance();
  }
  bool done() const { return done_; }
  const std::string& term() const { return term_; }
  // Appends this run's postings of the current term and moves to the next term.
  void take(std::vector<Posting>& into) {
    const auto old = into.size();
    into.resize(old + count_);
    if (!in_.read(reinterpret_cast<char*>(into.data() + old),
                  static_cast<std::streamsize>(count_ * sizeof(Posting)))) {
      throw Error(path_ + ": truncated spilled run");
    }
    advance();
  }

 private:
  void advance() {
    uint32_t length = 0;
    if (!read_raw(in_, length)) {
      done_ = true;
      return;
    }
    term_.resize(length);
    if (!in_.read(term_.data(), length) || !read_raw(in_, count_)) {
      throw Error(path_ + ": truncated spilled run");
    }
  }

  std::string path_;
  std::ifstream in_;
  std::string term_;
  uint64_t count_ = 0;
  bool done_ = false;
};

// Sequential output that tracks the offset and the running CRC.
class SectionWriter {
 public:
  explicit SectionWriter(std::ostream& out) : out_(out) {}
  void put(const void* data, size_t size) {
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    crc_ = crc32_update(crc_, data, size);
    offset_ += size;
  }
  template <typename T>
  void put_vector(const std::vector<T>& values) {
    put(values.data(), values.size() * sizeof(T));
  }
  uint64_t align() {
    static const char zeros[8] = {};
    if (offset_ % 8 != 0) put(zeros, 8 - offset_ % 8);
    return offset_;
  }
  uint64_t offset() const { return offset_; }
  uint32_t crc() const { return crc_; }

 private:
  std::ostream& out_;
  uint64_t offset_ = 0;
  uint32_t crc_ = 0;
};

// Terms with their postings, in byte order, from memory or from a merge of spilled runs.
class TermStream {
 public:
  TermStream(PostingMap& memory, const std::vector<std::string>& runs) : memory_(memory) {
    if (runs.empty()) {
      for (const auto& item : memory_) sorted_.push_back(item.first);
      std::sort(sorted_.begin(), sorted_.end());
    } else {
      for (const auto& path : runs) readers_.push_back(std::make_unique<RunReader>(path));
    }
  }
  bool next(std::string& term, std::vector<Posting>& postings) {
    postings.clear();
    if (readers_.empty()) {
      if (next_ == sorted_.size()) return false;
      term = sorted_[next_++];
      postings.swap(memory_[term]);
      return true;
    }
    const RunReader* smallest = nullptr;
    for (const auto& reader : readers_) {
      if (!reader->done() && (smallest == nullptr || reader->term() < smallest->term()))
        smallest = reader.get();
    }
    if (smallest == nullptr) return false;
    term = smallest->term();
    // Runs hold consecutive passage ranges, so taking them in run order keeps passages ascending.
    for (auto& reader : readers_) {
      if (!reader->done() && reader->term() == term) reader->take(postings);
    }
    return true;
  }

 private:
  PostingMap& memory_;
  std::vector<std::string> sorted_;
  size_t next_ = 0;
  std::vector<std::unique_ptr<RunReader>> readers_;
};

// Removes the temporary files however the build ends.
struct TemporaryFiles {
  std::vector<std::string> paths;
  ~TemporaryFiles() {
    for (const auto& path : paths) std::remove(path.c_str());
  }
};

struct IdHash {
  size_t hash;
  uint32_t passage;
  int64_t line;
};

// A corpus whose passage ids repeat would answer ambiguously: refused, naming both lines. Ids
// are compared by hash in memory and, where two hashes meet, by their bytes in `ids_path`.
void refuse_repeated_ids(std::vector<IdHash> hashes, const std::vector<uint64_t>& offsets,
                         const std::string& ids_path, const std::string& corpus) {
  std::sort(hashes.begin(), hashes.end(), [](const IdHash& a, const IdHash& b) {
    return a.hash < b.hash || (a.hash == b.hash && a.passage < b.passage);
  });
  std::ifstream ids(ids_path, std::ios::binary);
  const auto id_of = [&](uint32_t passage) {
    std::string id(offsets[passage + 1] - offsets[passage], '\0');
    ids.seekg(static_cast<std::streamoff>(offsets[passage]));
    ids.read(id.data(), static_cast<std::streamsize>(id.size()));
    return id;
  };
  for (size_t i = 0; i + 1 < hashes.size(); ++i) {
    for (size_t j = i + 1; j < hashes.size() && hashes[j].hash == hashes[i].hash; ++j) {
      const auto id = id_of(hashes[i].passage);
      if (id == id_of(hashes[j].passage)) {
        throw Error(corpus + ":" + std::to_string(hashes[j].line) + ": passage id '" + id +
                    "' appears again (first at line " + std::to_string(hashes[i].line) + ")");
      }
    }
  }
}

}  // namespace

Bm25IndexSummary build_bm25_index(const Bm25IndexOptions& options) {
  if (options.threads < 1) throw Error("index: --threads must be at least 1");
  if (!(options.params.k1 >= 0) || !(options.params.b >= 0 && options.params.b <= 1)) {
    throw Error("index: BM25 needs k1 >= 0 and 0 <= b <= 1");
  }
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  fs::create_directories(options.out_dir);
  const auto in_dir = [&](const std::string& name) {
    return (fs::path(options.out_dir) / name).string();
  };
  TemporaryFiles temporary;
  temporary.paths.push_back(in_dir("bm25.ids.tmp"));
  std::ofstream ids(temporary.paths.back(), std::ios::binary | std::ios::trunc);

  std::vector<std::unique_ptr<Analyzer>> analyzers;
  for (int t = 0; t < options.threads; ++t)
    analyzers.push_back(std::make_unique<Analyzer>(options.stem));
  CorpusReader corpus(options.corpus);
  std::vector<uint8_t> lengths;
  std::vector<uint64_t> id_offsets = {0};
  uint64_t passages_with_terms = 0, total_terms = 0;
  PostingMap postings;
  int64_t held = 0;
  std::vector<std::string> runs;
  double last_report = 0;

  // Each passage's id hash and line, to find a repeated id once the ids are on disk.
  std::vector<IdHash> id_hashes;
  std::vector<Passage> chunk;
  Passage passage;
  bool more = true;
  while (more) {
    chunk.clear();
    while (chunk.size() < kChunk && (more = corpus.next(passage))) chunk.push_back(passage);
    const auto analyzed = analyze_chunk(chunk, analyzers);
    for (size_t i = 0; i < chunk.size(); ++i) {
      const auto id = static_cast<uint32_t>(lengths.size());
      if (lengths.size() == UINT32_MAX) throw Error(options.corpus + ": more than 2^32 passages");
      ids.write(chunk[i].id.data(), static_cast<std::streamsize>(chunk[i].id.size()));
      id_hashes.push_back({std::hash<std::string>()(chunk[i].id), id, chunk[i].line});
      id_offsets.push_back(id_offsets.back() + chunk[i].id.size());
      lengths.push_back(encode_length(analyzed[i].length));
      total_terms += analyzed[i].length;
      if (analyzed[i].length > 0) ++passages_with_terms;
      for (const auto& [term, tf] : analyzed[i].counts) postings[term].push_back({id, tf});
      held += static_cast<int64_t>(analyzed[i].counts.size());
    }
    if (held >= options.postings_in_memory) {
      temporary.paths.push_back(in_dir("bm25.run-" + std::to_string(runs.size()) + ".tmp"));
      runs.push_back(temporary.paths.back());
      write_run(runs.back(), postings);
      held = 0;
    }
    if (elapsed() - last_report >= 5 || !more) {
      last_report = elapsed();
      std::cerr << "index: " << lengths.size() << " passages ("
                << static_cast<int64_t>(static_cast<double>(lengths.size()) /
                                        std::max(last_report, 1e-9))
                << "/s)\n";
    }
  }
  if (lengths.empty()) throw Error(options.corpus + ": the corpus has no passages");
  if (passages_with_terms == 0) {
    throw Error(options.corpus + ": no passage holds a searchable term (all empty or stopwords)");
  }
  if (!runs.empty() && !postings.empty()) {
    temporary.paths.push_back(in_dir("bm25.run-" + std::to_string(runs.size()) + ".tmp"));
    runs.push_back(temporary.paths.back());
    write_run(runs.back(), postings);
  }
  if (!ids.flush()) throw Error(in_dir("bm25.ids.tmp") + ": write failed (disk full?)");
  ids.close();
  refuse_repeated_ids(std::move(id_hashes), id_offsets, in_dir("bm25.ids.tmp"), options.corpus);

  AtomicFileWriter file(in_dir(kBm25FileName));
  SectionWriter out(file.stream());
  Bm25FileHeader header{};
  std::copy(std::begin(kBm25Magic), std::end(kBm25Magic), header.magic);
  header.version = kBm25FormatVersion;
  out.put(header.magic, sizeof(header.magic));
  out.put(&header.version, sizeof(header.version));
  const uint32_t zero = 0;
  out.put(&zero, sizeof(zero));

  header.lengths_offset = out.align();
  out.put_vector(lengths);
  header.id_offsets_offset = out.align();
  out.put_vector(id_offsets);
  header.id_bytes_offset = out.align();
  {
    std::ifstream id_bytes(in_dir("bm25.ids.tmp"), std::ios::binary);
    std::vector<char> buffer(1 << 20);
    while (id_bytes.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) ||
           id_bytes.gcount() > 0) {
      out.put(buffer.data(), static_cast<size_t>(id_bytes.gcount()));
    }
  }
  // Each block's largest impact needs the corpus's totals, known now.
  const Bm25Scorer scorer(options.params, passages_with_terms, total_terms);
  header.posting_bytes_offset = out.align();
  std::vector<uint64_t> term_starts = {0}, term_blocks = {0}, term_offsets = {0};
  std::vector<PostingBlock> blocks;
  std::string term_bytes;
  TermStream terms(postings, runs);
  std::string term;
  std::vector<Posting> list;
  std::vector<uint8_t> coded;
  uint64_t posting_bytes = 0;
  while (terms.next(term, list)) {
    coded.clear();
    for (size_t first = 0; first < list.size(); first += kBlockSize) {
      const auto count = static_cast<uint32_t>(std::min<size_t>(kBlockSize, list.size() - first));
      PostingBlock block{posting_bytes + coded.size(), list[first + count - 1].passage, 0.0f};
      for (uint32_t i = 0; i < count; ++i) {
        const auto& posting = list[first + i];
        block.max_impact =
            std::max(block.max_impact, scorer.impact(posting.tf, lengths[posting.passage]));
      }
      encode_block(list.data() + first, count,
                   first == 0 ? int64_t{-1} : int64_t{list[first - 1].passage}, coded);
      blocks.push_back(block);
    }
    out.put_vector(coded);
    posting_bytes += coded.size();
    term_starts.push_back(term_starts.back() + list.size());
    term_blocks.push_back(blocks.size());
    term_bytes += term;
    term_offsets.push_back(term_bytes.size());
  }
  header.blocks_offset = out.align();
  out.put_vector(blocks);
  header.term_starts_offset = out.align();
  out.put_vector(term_starts);
  header.term_blocks_offset = out.align();
  out.put_vector(term_blocks);
  header.term_offsets_offset = out.align();
  out.put_vector(term_offsets);
  header.term_bytes_offset = out.align();
  out.put(term_bytes.data(), term_bytes.size());
  out.align();

  header.stemmed = options.stem ? 1 : 0;
  header.k1 = options.params.k1;
  header.b = options.params.b;
  header.passages = lengths.size();
  header.passages_with_terms = passages_with_terms;
  header.total_terms = total_terms;
  header.terms = term_starts.size() - 1;
  header.postings = term_starts.back();
  header.posting_bytes = posting_bytes;
  header.blocks = blocks.size();
  out.put(&header, sizeof(header));
  const uint64_t crc = out.crc();
  out.put(&crc, sizeof(crc));
  file.commit();

  Bm25IndexSummary summary;
  summary.passages = static_cast<int64_t>(header.passages);
  summary.terms = static_cast<int64_t>(header.terms);
  summary.postings = static_cast<int64_t>(header.postings);
  summary.runs = static_cast<int64_t>(runs.size());
  summary.seconds = elapsed();
  write_json_file_atomic(in_dir(kIndexManifest), {{"kind", "bm25"},
                                                  {"format_version", kBm25FormatVersion},
                                                  {"file", kBm25FileName},
                                                  {"corpus", fs::absolute(options.corpus).string()},
                                                  {"passages", summary.passages},
                                                  {"terms", summary.terms},
                                                  {"k1", options.params.k1},
                                                  {"b", options.params.b},
                                                  {"stem", options.stem},
                                                  {"checksum", crc}});
  return summary;
}

}  // namespace kvchain::retrievers
