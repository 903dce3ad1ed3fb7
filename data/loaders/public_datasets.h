#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/loaders/qa_record.h"

namespace kvchain::data {

struct QADataset {
  std::vector<QARecord> records;
  LoadReport report;
};

// FlashRAG JSONL (NQ, TriviaQA, HotpotQA, 2WikiMultihopQA, PopQA, ...):
// {"id", "question", "golden_answers": [..], "metadata"?}.
QADataset load_flashrag_qa(const std::string& path, const LoadOptions& options = {});
// StrategyQA's JSON list: {"qid"?, "question", "answer": bool, "facts"?, "decomposition"?}.
QADataset load_strategyqa(const std::string& path, const LoadOptions& options = {});
// CommonsenseQA JSONL: {"id", "question": {"stem", "choices": [{"label", "text"}]}, "answerKey"}.
QADataset load_commonsenseqa(const std::string& path, const LoadOptions& options = {});
// TruthfulQA's mc_task.json: [{"question", "mc1_targets": {"choice": 0|1, ...}}], one correct.
QADataset load_truthfulqa_mc(const std::string& path, const LoadOptions& options = {});
// PubHealth claims: JSONL or the original TSV, with "claim" and "label" (true, false, mixture,
// unproven; or the HF health_fact integers 0-3).
QADataset load_pubhealth(const std::string& path, const LoadOptions& options = {});

// By format name: flashrag, strategyqa, commonsenseqa, truthfulqa, pubhealth.
QADataset load_qa_dataset(const std::string& format, const std::string& path,
                          const LoadOptions& options = {});
const std::vector<std::string>& qa_formats();

struct CorpusPassage {
  std::string id;
  std::string title;
  std::string text;  // contents without the title line
};

// Streams a corpus JSONL ({"id", "contents", "title"?}); without "title", the first line of
// contents is the title (FlashRAG's wiki dumps, quotes stripped). Nothing is held in memory.
LoadReport for_each_passage(const std::string& path, const LoadOptions& options,
                            const std::function<void(const CorpusPassage&)>& visit);

}  // namespace kvchain::data
