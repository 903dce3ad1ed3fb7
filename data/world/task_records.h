#pragma once

#include <vector>

#include "data/world/questions.h"
#include "engine/io/json_file.h"

namespace kvchain::data {

// The four chain tasks' records, before ids and splits. Field meanings are documented with
// examples in data/README.md.

// Compressor -> QA: question, retrieved passages, `compressed` (the answering sentences).
std::vector<Json> compression_qa_records(const Encyclopedia& e, Rng& rng);
// Rewriter -> QA: multi-hop and comparison questions with their `rewritten_queries`.
std::vector<Json> rewrite_qa_records(const Encyclopedia& e, Rng& rng);
// Memory <-> Reasoning, multi-round: yes/no and multiple-choice questions answered by
// alternating recalled facts and inferences, ending in "[The answer is]: X".
std::vector<Json> memory_reasoning_records(const Encyclopedia& e, Rng& rng);
// Active RAG, multi-round: claims and multi-hop questions as plan / retrieval / answer rounds.
std::vector<Json> active_rag_records(const Encyclopedia& e, Rng& rng);

// The diagnostic chain: an extractor reads a single-hop question's passage among two
// similar-named distractors and writes the answer; a copier writes the extractor's output again.
std::vector<Json> diagnostic_records(const Encyclopedia& e, Rng& rng);

// Shared by the builders.
Json passage_json(const Passage& p);
Json step(const std::string& type, const std::string& text);
std::string answer_marker(const std::string& answer);  // "[The answer is]: X"

}  // namespace kvchain::data
