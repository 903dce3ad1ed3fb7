#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "retrievers/posting_blocks.h"

namespace kvchain::retrievers {

// bm25.idx, little-endian, written in one sequential pass (so building never seeks back):
//   prefix       magic, uint32 version, uint32 0 (a reader tells a stale file at once)
//   lengths      uint8[passages]            Lucene length codes (lucene_bm25.h)
//   id offsets   uint64[passages + 1]       into id bytes
//   id bytes     the passages' ids, concatenated
//   posting bytes  each term's postings in blocks of 128, variable-byte coded (posting_blocks.h)
//   blocks       PostingBlock[blocks]       each block's offset, last passage and largest impact
//   term starts  uint64[terms + 1]          each term's first posting (its count: the next less it)
//   term blocks  uint64[terms + 1]          each term's first block
//   term offsets uint64[terms + 1]          into term bytes
//   term bytes   the terms in byte order, concatenated
//   header       Bm25FileHeader: the counts and where each section starts
//   footer       uint64 CRC-32 (zlib) of every byte before it
// Every section starts 8-byte aligned.
constexpr char kBm25Magic[8] = {'K', 'V', 'C', 'B', 'M', '2', '5', '\0'};
// Version 1 stored postings uncompressed and without blocks.
constexpr uint32_t kBm25FormatVersion = 2;
constexpr const char* kBm25FileName = "bm25.idx";
constexpr size_t kBm25PrefixSize = 16;

struct Bm25FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t stemmed;  // 1 when terms went through the Porter stemmer
  float k1;
  float b;
  uint64_t passages;
  uint64_t passages_with_terms;  // Lucene's docCount: N in idf and avgdl
  uint64_t total_terms;          // Lucene's sumTotalTermFreq
  uint64_t terms;
  uint64_t postings;
  uint64_t lengths_offset;
  uint64_t id_offsets_offset;
  uint64_t id_bytes_offset;
  uint64_t posting_bytes;
  uint64_t blocks;
  uint64_t posting_bytes_offset;
  uint64_t blocks_offset;
  uint64_t term_starts_offset;
  uint64_t term_blocks_offset;
  uint64_t term_offsets_offset;
  uint64_t term_bytes_offset;
};

// CRC-32 over a byte range, continuing from `crc` (start with 0).
uint32_t crc32_update(uint32_t crc, const void* data, size_t size);

}  // namespace kvchain::retrievers
