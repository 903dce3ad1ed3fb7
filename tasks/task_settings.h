#pragma once

#include <cstdint>
#include <string>

#include "engine/io/json_file.h"

namespace kvchain::tasks {

// The dense retriever of tasks that retrieve, in place of BM25: an encoder checkpoint a user
// brings (a BERT-family model such as E5, BGE or Contriever, or a Llama) and how it encodes.
struct DenseRetrieval {
  std::string model;  // empty: BM25
  std::string pooling = "mean";
  std::string query_prefix, passage_prefix;
  std::string device = "cpu";

  // What identifies the retrieval in cache keys and index names (null for BM25).
  Json identity() const {
    if (model.empty()) return Json();
    return {{"model", model},
            {"pooling", pooling},
            {"query_prefix", query_prefix},
            {"passage_prefix", passage_prefix}};
  }
};

// What a user may set on any task.
struct TaskSettings {
  // Passages retrieved per query (the question, a sub-query, a plan); 0: the task's default
  // (1, the paper's top-1; Compression&QA: every passage a record carries).
  int64_t top_k = 0;
  DenseRetrieval dense;
};

}  // namespace kvchain::tasks
