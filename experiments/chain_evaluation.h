#pragma once

#include <cstdint>
#include <string>

#include "engine/io/json_file.h"
#include "eval/system.h"
#include "experiments/eval_limits.h"
#include "experiments/loaded_chain.h"
#include "tasks/task.h"

namespace kvchain::experiments {

struct EvalOptions {
  ModelSetup setup;
  std::string data_dir;
  std::string task;
  tasks::TaskSettings settings;
  eval::System system = eval::System::kShared;
  std::string split = "test";
  int64_t limit = 0;
  // Examples run at once (engine/chain/batch_runner.h); 1 runs them one by one.
  int64_t batch_size = 1;
  std::string predictions_path;  // JSONL per example; empty: not written
  // Evaluates only the share-th of `shares` contiguous runs of the split's records (the ranks
  // of a suite split an evaluation so); the predictions file holds that run's lines.
  int64_t share = 0, shares = 1;
};

// Means per example over every record; scores in percent (the suite scores each metric on the
// records the task scores by it, from the predictions file).
struct EvalSummary {
  int64_t n = 0;
  double em = 0, f1 = 0, acc = 0;
  double prefilled = 0, decoded = 0;
  double prefill_seconds = 0, decode_seconds = 0;
  double kv_bytes_peak = 0;
  Json to_json() const;
};

// Runs the system on every record of the split (or of its share) and scores it; the
// predictions file gets one line per example with every turn's output and costs, in the
// records' order, written atomically at the end.
EvalSummary evaluate_chain(const EvalOptions& options);

// Writes predictions lines, one JSON object a line, atomically.
void write_predictions(const std::string& path, const std::vector<Json>& predictions);

// The summary of predictions lines, in their order: what evaluate_chain returns for them, so a
// split evaluated in shares and joined summarizes as one evaluated whole.
EvalSummary summarize_predictions(const std::vector<Json>& predictions);

}  // namespace kvchain::experiments
