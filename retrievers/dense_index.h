#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "retrievers/faiss_index.h"
#include "retrievers/retriever.h"
#include "retrievers/text_encoder.h"

namespace kvchain::retrievers {

struct DenseIndexOptions {
  std::string corpus;     // JSONL {"id", "contents"}
  std::string out_dir;    // index.json, embeddings, the FAISS index and doc ids go here
  std::string model_dir;  // a Llama or BERT-family checkpoint with tokenizer.json: the encoder
  Pooling pooling = Pooling::mean;
  // Put before every query and passage (E5: "query: " and "passage: "; BGE: an instruction
  // before queries only); index.json records them, so queries are always encoded alike.
  std::string query_prefix, passage_prefix;
  FaissSpec faiss;           // exact inner product by default
  int64_t batch_size = 32;   // passages encoded per forward pass
  int64_t max_tokens = 512;  // longer passages are truncated (a message says how many)
  std::string device = "cpu";
};

// Encodes every passage (text_encoder.h: pooled, L2-normalised), builds the FAISS index and
// writes everything atomically to out_dir, with progress on stderr: index.json (written last),
// embeddings.npy (float32 [passages, dim], corpus order), faiss.index and doc_ids.txt.
// A Llama reads text without special tokens, so a passage with empty contents has no tokens and
// gets the zero vector: it scores 0 against every query.
void build_dense_index(const DenseIndexOptions& options);

// The index in `dir`, whose queries are encoded like its passages (the model, pooling, query
// prefix and truncation recorded in index.json) and scored by inner product, i.e. cosine
// similarity. An empty query is the zero vector, so it returns the first k passages in corpus order
// with score 0. search() throws for k <= 0 or threads < 1; threads sets FAISS's OpenMP threads for
// that search only, while queries are encoded on the calling thread.
// nprobe (IVF-PQ only; 0: index.json's) sets how many inverted lists a query searches.
std::unique_ptr<Retriever> open_dense_index(const std::string& dir, const std::string& device,
                                            int64_t nprobe = 0);

}  // namespace kvchain::retrievers
