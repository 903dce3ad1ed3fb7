#pragma once

#include <string>
#include <vector>

#include "engine/training/trainer.h"

namespace kvchain {

struct PretrainOptions {
  // One document per line (a world's pretrain.txt); several files are joined.
  std::vector<std::string> text_paths;
  // Trained on first, for `curriculum_epochs` passes of its own, at the start of the one
  // learning-rate schedule: a world's copy.txt, so the base learns to copy from its context
  // before it reads.
  std::vector<std::string> curriculum_paths;
  int64_t curriculum_epochs = 1;
  std::string out_dir;  // the checkpoint (HF layout + tokenizer.json) is written here
  // A base to continue from (its weights, shape and tokenizer), or empty to train a tokenizer
  // and a randomly initialised model of `preset` and `vocab_size`.
  std::string init_dir;
  // A new model's tokenizer, taken from beside this checkpoint instead of trained (models of
  // different presets then share it, as chains of different models need); empty: trained.
  std::string tokenizer_dir;
  std::string preset = "tiny";
  int64_t vocab_size = 2048;
  int64_t sequence_length = 128;
  int64_t batch_size = 8;
  std::string device = "cpu";
  TrainerOptions trainer;  // epochs, learning rate, seed, ...
};

// Trains a byte-level BPE tokenizer on all the text, then a randomly initialised Llama of the
// preset shape on it; given `init_dir`, goes on training that base with its own tokenizer
// instead. The loss is next-token over documents joined by EOS, packed into fixed-length rows (a
// document is a line of a text file or a record of a JSONL file): the curriculum's epochs first,
// then the main text's, each epoch in its own shuffled order. Resumes from `out_dir`/checkpoint
// after an interruption; the finished model is written atomically.
void pretrain(const PretrainOptions& options);

}  // namespace kvchain
