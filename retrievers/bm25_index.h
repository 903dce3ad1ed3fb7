#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/mapped_file.h"
#include "retrievers/bm25_index_format.h"
#include "retrievers/lucene_bm25.h"
#include "retrievers/retriever.h"

namespace kvchain::retrievers {

// How a query's top k are found: block-max MaxScore (the default), or every posting of every
// term scored; both give the same passages, scores and order.
enum class Bm25Search { kMaxScore, kExhaustive };

// A memory-mapped bm25.idx. Opening checks the magic, the format version, the checksum and
// every section's bounds, so a damaged or stale file is refused rather than misread.
class Bm25Index : public Retriever {
 public:
  explicit Bm25Index(const std::string& path);

  // Queries are analysed as passages were; a query term counted twice weighs twice (Pyserini's
  // bag-of-words query). No known term (an empty query, only stop words) gives no hits.
  std::vector<HitList> search(const std::vector<std::string>& queries, int64_t k,
                              int threads) const override;
  std::vector<HitList> search(const std::vector<std::string>& queries, int64_t k, int threads,
                              Bm25Search how) const;
  int64_t size() const override { return static_cast<int64_t>(header_.passages); }

  const Bm25FileHeader& header() const { return header_; }
  // The file's checksum, which index.json records as its "checksum": it ties the two together.
  uint64_t checksum() const { return checksum_; }
  std::string_view doc_id(uint32_t passage) const;

 private:
  // Throws the error of a file whose contents are not sound, naming `what`.
  [[noreturn]] void refuse(const std::string& what) const;
  void check_header() const;
  void check_sections();
  void check_postings();
  TermPostings term_postings(uint64_t term) const;
  struct Scratch;
  HitList search_one(const std::string& query, int64_t k, Bm25Search how, Scratch& scratch) const;
  // The term's number in the index, or none for an unknown term.
  std::optional<uint64_t> term_index(std::string_view term) const;
  template <typename T>
  const T* section(uint64_t offset, uint64_t count, const char* name) const;

  std::string path_;
  MappedFile file_;
  Bm25FileHeader header_{};
  uint64_t checksum_ = 0;
  const uint8_t* lengths_ = nullptr;
  const uint64_t* id_offsets_ = nullptr;
  const char* id_bytes_ = nullptr;
  const uint8_t* posting_bytes_ = nullptr;
  const PostingBlock* blocks_ = nullptr;
  const uint64_t* term_starts_ = nullptr;
  const uint64_t* term_blocks_ = nullptr;
  const uint64_t* term_offsets_ = nullptr;
  const char* term_bytes_ = nullptr;
  std::unique_ptr<Bm25Scorer> scorer_;
};

}  // namespace kvchain::retrievers
