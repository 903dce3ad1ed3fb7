#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/adapters/adapter.h"
#include "engine/chain/chain_model.h"
#include "engine/training/trainer.h"
#include "tasks/layouts.h"

namespace kvchain::tasks {

// The frozen base model (HF checkpoint directory with tokenizer.json) and the adapters to load,
// by member name.
struct ModelSetup {
  std::string base_dir;
  std::string device = "cpu";
  std::map<std::string, std::string> adapters;
};

struct LoadedChain {
  std::unique_ptr<ChainModel> chain;
  std::unique_ptr<BpeTokenizer> tokenizer;
  int64_t eos_token_id = -1;
};

// Loads the base (float32 on CPU, bfloat16 on CUDA), freezes it and attaches the adapters.
LoadedChain load_chain(const ModelSetup& setup);

// A hash of the file's bytes, for cache keys and resume checks.
std::string file_hash(const std::string& path);

// A task split's records with their "file:line" names.
struct Records {
  std::vector<Json> records;
  std::vector<std::string> where;
  std::string content_hash;  // of the file, for cache keys and resume checks
};
Records load_split(const std::string& data_dir, const std::string& task, const std::string& split,
                   int64_t limit);

struct TrainMemberOptions {
  ModelSetup setup;  // adapters: the trained earlier members (FTHSS needs them)
  std::string data_dir;
  std::string task;
  TaskSettings settings;
  // A task member, "distill", "single", or "all": a multi-round task's cascade, every member
  // trained together with Method::kFthss.
  std::string member;
  Method method = Method::kStandard;
  AdapterConfig adapter;
  TrainerOptions trainer;
  // The adapter file, its checkpoints and log beside it; for a cascade, a directory that gets
  // one adapter per member (cascade_adapter_path), the checkpoints and the log.
  std::string out;
  int64_t limit = 0;
};

// Deep prompts, one example per step and a high rate: on the small embedded base, shallow
// prompts barely move the loss (engine/README.md has the numbers).
TrainMemberOptions default_member_training();

// Prompt-tunes one member (or a cascade) on the task's train split and writes its adapters
// atomically. An interrupted run resumes from its checkpoints.
void train_member(const TrainMemberOptions& options);
std::string cascade_adapter_path(const std::string& out_dir, const std::string& member);

struct EvalOptions {
  ModelSetup setup;
  std::string data_dir;
  std::string task;
  TaskSettings settings;
  RunMode mode = RunMode::kShared;
  std::string split = "test";
  int64_t limit = 0;
  bool evict = false;
  std::string predictions_path;  // JSONL per example; empty: not written
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

EvalSummary evaluate_chain(const EvalOptions& options);

}  // namespace kvchain::tasks
