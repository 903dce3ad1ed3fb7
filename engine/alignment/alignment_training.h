#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/training/trainer.h"

namespace kvchain {

// `kvchain align train`: one KVSpaceAdapter per frozen model, trained so that each model reads
// every other's cache through the shared space. An example is a document and an ordered pair
// of models (sender, receiver): the sender prefills the document's first `prefix_tokens`, its
// cache is translated into the receiver (CacheTranslation), and the receiver predicts the next
// `suffix_tokens` from it (the suffix language-modelling loss), plus, weighted by
// `reconstruction`, the mean squared error of the sender's cache sent through its own adapter
// and back. The models share one tokenizer (their tokenizer.json files must be identical).
struct AlignmentOptions {
  std::vector<std::string> models;  // checkpoint directories, two or more
  std::string data;                 // a document a line, or JSONL records of {"text": ...}
  std::string out_dir;
  int64_t shared_dim = 0;  // 0: the widest model's kv_heads x head_dim
  int64_t prefix_tokens = 48;
  int64_t suffix_tokens = 16;
  double reconstruction = 0;
  int64_t limit = 0;  // documents read (0: all)
  std::string device = "cpu";
  TrainerOptions trainer;
};

struct AlignmentResult {
  TrainSummary summary;
  std::vector<std::string> adapter_paths;  // one per model, in the order given
};

// Trains and writes OUT/kv-space-NAME.safetensors per model (NAME: its directory's name) and
// OUT/alignment.json (the models, their fingerprints, the space and the options), resuming from
// OUT/checkpoint when an earlier run of the same models, data and options was interrupted.
AlignmentResult train_alignment(const AlignmentOptions& options);

}  // namespace kvchain
