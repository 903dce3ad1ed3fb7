#include "retrievers/bm25_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/concurrency/parallel_indices.h"
#include "engine/io/error.h"
#include "retrievers/analyzer.h"
#include "retrievers/bm25_top_k.h"
#include "retrievers/lucene_bm25.h"

namespace kvchain::retrievers {

struct Bm25Index::Scratch {
  explicit Scratch(const Bm25Index& index)
      : analyzer(index.header_.stemmed != 0), scores(index.header_.passages, 0.0) {}
  Analyzer analyzer;
  // Lucene adds a passage's term scores in double and rounds the sum to float once.
  std::vector<double> scores;
  std::vector<uint32_t> touched;
};

Bm25Index::Bm25Index(const std::string& path) : path_(path), file_(path) {
  const auto* data = file_.data();
  const auto size = file_.size();
  if (size < kBm25PrefixSize || std::memcmp(data, kBm25Magic, sizeof(kBm25Magic)) != 0) {
    throw Error(path + ": not a kvchain BM25 index (bad magic)");
  }
  uint32_t version = 0;
  std::memcpy(&version, data + sizeof(kBm25Magic), sizeof(version));
  if (version != kBm25FormatVersion) {
    throw Error(path + ": BM25 index format version " + std::to_string(version) +
                ", but this kvchain reads version " + std::to_string(kBm25FormatVersion) +
                ": rebuild it with `kvchain index`");
  }
  if (size < kBm25PrefixSize + sizeof(Bm25FileHeader) + sizeof(uint64_t)) {
    throw Error(path + ": truncated BM25 index (" + std::to_string(size) + " bytes)");
  }
  const auto footer = size - sizeof(uint64_t);
  uint64_t stored_crc = 0;
  std::memcpy(&stored_crc, data + footer, sizeof(stored_crc));
  if (stored_crc != crc32_update(0, data, footer)) {
    throw Error(path + ": checksum mismatch: the BM25 index is damaged or truncated; rebuild it");
  }
  checksum_ = stored_crc;
  std::memcpy(&header_, data + footer - sizeof(Bm25FileHeader), sizeof(Bm25FileHeader));
  check_header();
  lengths_ = section<uint8_t>(header_.lengths_offset, header_.passages, "lengths");
  id_offsets_ = section<uint64_t>(header_.id_offsets_offset, header_.passages + 1, "id offsets");
  id_bytes_ = section<char>(header_.id_bytes_offset, id_offsets_[header_.passages], "ids");
  posting_bytes_ =
      section<uint8_t>(header_.posting_bytes_offset, header_.posting_bytes, "posting bytes");
  blocks_ = section<PostingBlock>(header_.blocks_offset, header_.blocks, "blocks");
  term_starts_ = section<uint64_t>(header_.term_starts_offset, header_.terms + 1, "term starts");
  term_blocks_ = section<uint64_t>(header_.term_blocks_offset, header_.terms + 1, "term blocks");
  term_offsets_ = section<uint64_t>(header_.term_offsets_offset, header_.terms + 1, "term offsets");
  term_bytes_ = section<char>(header_.term_bytes_offset, term_offsets_[header_.terms], "terms");
  scorer_ = std::make_unique<Bm25Scorer>(Bm25Params{header_.k1, header_.b},
                                         header_.passages_with_terms, header_.total_terms);
  check_sections();
}

void Bm25Index::refuse(const std::string& what) const {
  throw Error(path_ + ": inconsistent BM25 index (" + what + ")");
}

// The header's numbers as a scorer needs them: the CRC proves the bytes are the ones written,
// not that what was written is sound.
void Bm25Index::check_header() const {
  const auto& h = header_;
  // Pyserini's k1 is 0.9, Lucene's 1.2; past 100 a term's frequency no longer saturates.
  if (!std::isfinite(h.k1) || h.k1 < 0 || h.k1 > 100) refuse("k1 " + std::to_string(h.k1));
  if (h.stemmed > 1) refuse("a stemming flag of " + std::to_string(h.stemmed));
  if (!std::isfinite(h.b) || h.b < 0 || h.b > 1) refuse("b " + std::to_string(h.b));
  if (h.passages == 0 || h.passages > UINT32_MAX)
    refuse("a passage count of " + std::to_string(h.passages));
  if (h.passages_with_terms == 0 || h.passages_with_terms > h.passages) {
    refuse(std::to_string(h.passages_with_terms) + " passages with terms of " +
           std::to_string(h.passages));
  }
  if (h.total_terms < h.passages_with_terms) refuse("fewer terms than passages with terms");
}

// Every offset, id and count within bounds and in order: ids and terms are read by their
// offsets, terms are binary-searched and postings index the passages.
void Bm25Index::check_sections() {
  const auto ascending = [&](const uint64_t* offsets, uint64_t n, const char* name) {
    if (offsets[0] != 0) refuse(std::string(name) + " do not start at 0");
    for (uint64_t i = 0; i < n; ++i) {
      if (offsets[i + 1] < offsets[i]) refuse(std::string(name) + " out of order");
    }
  };
  ascending(id_offsets_, header_.passages, "id offsets");
  ascending(term_offsets_, header_.terms, "term offsets");
  ascending(term_starts_, header_.terms, "term starts");
  if (term_starts_[header_.terms] != header_.postings) {
    refuse("term starts do not cover the postings");
  }
  for (uint64_t t = 0; t + 1 < header_.terms; ++t) {
    const std::string_view a(term_bytes_ + term_offsets_[t],
                             term_offsets_[t + 1] - term_offsets_[t]);
    const std::string_view b(term_bytes_ + term_offsets_[t + 1],
                             term_offsets_[t + 2] - term_offsets_[t + 1]);
    if (!(a < b)) refuse("terms out of order");
  }
  check_postings();
  std::unordered_set<std::string_view> ids;
  for (uint32_t p = 0; p < header_.passages; ++p) {
    if (!ids.insert(doc_id(p)).second)
      refuse("the passage id '" + std::string(doc_id(p)) + "' twice");
  }
}

// Each term's blocks decode, end where the next begins, name passages in ascending order, once
// each, and carry their true last passage and largest impact; each passage's length code and
// the header's totals are what the postings add up to.
void Bm25Index::check_postings() {
  if (term_blocks_[0] != 0 || term_blocks_[header_.terms] != header_.blocks)
    refuse("term blocks do not cover the blocks");
  std::vector<uint64_t> passage_terms(header_.passages, 0);
  uint64_t total_terms = 0;
  std::array<uint32_t, kBlockSize> passages{}, tfs{};
  // Impacts depend on the lengths and totals, so they are compared once those are checked.
  std::vector<float> block_impacts(header_.blocks, 0.0f);
  for (uint64_t t = 0; t < header_.terms; ++t) {
    const auto count = term_starts_[t + 1] - term_starts_[t];
    if (term_blocks_[t + 1] < term_blocks_[t] ||
        term_blocks_[t + 1] - term_blocks_[t] != (count + kBlockSize - 1) / kBlockSize) {
      refuse("term " + std::to_string(t) + "'s block count other than its postings need");
    }
    int64_t previous = -1;
    for (uint64_t b = term_blocks_[t]; b < term_blocks_[t + 1]; ++b) {
      const auto& block = blocks_[b];
      const auto end = b + 1 < header_.blocks ? blocks_[b + 1].offset : header_.posting_bytes;
      if (block.offset > end || end > header_.posting_bytes || (b == 0 && block.offset != 0))
        refuse("block " + std::to_string(b) + "'s bytes out of bounds");
      const auto size = static_cast<uint32_t>(
          std::min<uint64_t>(kBlockSize, count - (b - term_blocks_[t]) * kBlockSize));
      try {
        decode_block(posting_bytes_ + block.offset, posting_bytes_ + end, size, previous,
                     passages.data(), tfs.data());
      } catch (const Error& e) {
        refuse(std::string(e.what()) + ": block " + std::to_string(b));
      }
      for (uint32_t i = 0; i < size; ++i) {
        if (passages[i] >= header_.passages) {
          refuse("a posting names passage " + std::to_string(passages[i]) + " of " +
                 std::to_string(header_.passages));
        }
        passage_terms[passages[i]] += tfs[i];
        total_terms += tfs[i];
        block_impacts[b] =
            std::max(block_impacts[b], scorer_->impact(tfs[i], lengths_[passages[i]]));
      }
      if (block.last_passage != passages[size - 1])
        refuse("block " + std::to_string(b) + "'s last passage other than its postings'");
      previous = passages[size - 1];
    }
  }
  if (total_terms != header_.total_terms) refuse("a term total other than the postings'");
  uint64_t with_terms = 0;
  for (uint64_t p = 0; p < header_.passages; ++p) {
    with_terms += passage_terms[p] > 0;
    if (passage_terms[p] > UINT32_MAX ||
        lengths_[p] != encode_length(static_cast<uint32_t>(passage_terms[p]))) {
      refuse("passage " + std::to_string(p) + "'s length other than its postings'");
    }
  }
  if (with_terms != header_.passages_with_terms) {
    refuse("a count of passages with terms other than the postings'");
  }
  for (uint64_t b = 0; b < header_.blocks; ++b) {
    if (blocks_[b].max_impact != block_impacts[b])
      refuse("block " + std::to_string(b) + "'s largest impact other than its postings'");
  }
}

TermPostings Bm25Index::term_postings(uint64_t term) const {
  return {blocks_ + term_blocks_[term], term_blocks_[term + 1] - term_blocks_[term],
          term_starts_[term + 1] - term_starts_[term], posting_bytes_};
}

template <typename T>
const T* Bm25Index::section(uint64_t offset, uint64_t count, const char* name) const {
  const auto end = file_.size() - sizeof(uint64_t) - sizeof(Bm25FileHeader);
  if (offset % alignof(T) != 0 || offset > end || count > (end - offset) / sizeof(T)) {
    refuse(std::string("section '") + name + "' out of bounds");
  }
  return reinterpret_cast<const T*>(file_.data() + offset);
}

std::string_view Bm25Index::doc_id(uint32_t passage) const {
  return {id_bytes_ + id_offsets_[passage], id_offsets_[passage + 1] - id_offsets_[passage]};
}

std::optional<uint64_t> Bm25Index::term_index(std::string_view term) const {
  uint64_t low = 0, high = header_.terms;
  while (low < high) {
    const auto mid = low + (high - low) / 2;
    const std::string_view candidate(term_bytes_ + term_offsets_[mid],
                                     term_offsets_[mid + 1] - term_offsets_[mid]);
    if (candidate < term) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low == header_.terms ||
      std::string_view(term_bytes_ + term_offsets_[low],
                       term_offsets_[low + 1] - term_offsets_[low]) != term) {
    return std::nullopt;
  }
  return low;
}

HitList Bm25Index::search_one(const std::string& query, int64_t k, Bm25Search how,
                              Scratch& scratch) const {
  std::map<std::string, uint32_t> counts;
  for (auto& term : scratch.analyzer.terms(query)) ++counts[term];
  std::vector<QueryTerm> terms;
  for (const auto& [term, count] : counts) {
    const auto t = term_index(term);
    if (!t) continue;
    const auto postings = term_postings(*t);
    terms.push_back({postings, static_cast<float>(count) * scorer_->idf(postings.count)});
  }
  const auto best =
      how == Bm25Search::kMaxScore
          ? max_score_top_k(terms, k, *scorer_, lengths_)
          : exhaustive_top_k(terms, k, *scorer_, lengths_, scratch.scores, scratch.touched);
  HitList hits;
  for (const auto& [score, passage] : best) hits.push_back({std::string(doc_id(passage)), score});
  return hits;
}

std::vector<HitList> Bm25Index::search(const std::vector<std::string>& queries, int64_t k,
                                       int threads) const {
  return search(queries, k, threads, Bm25Search::kMaxScore);
}

std::vector<HitList> Bm25Index::search(const std::vector<std::string>& queries, int64_t k,
                                       int threads, Bm25Search how) const {
  if (k < 1) throw Error("retrieve: k must be at least 1");
  if (threads < 1) throw Error("retrieve: threads must be at least 1");
  std::vector<HitList> results(queries.size());
  const auto workers = std::min<size_t>(static_cast<size_t>(threads), queries.size());
  std::vector<std::unique_ptr<Scratch>> scratch(std::max<size_t>(workers, 1));
  parallel_indices(queries.size(), workers, [&](size_t worker, size_t i) {
    if (!scratch[worker]) scratch[worker] = std::make_unique<Scratch>(*this);
    results[i] = search_one(queries[i], k, how, *scratch[worker]);
  });
  return results;
}

}  // namespace kvchain::retrievers
