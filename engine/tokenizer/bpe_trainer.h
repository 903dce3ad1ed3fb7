#pragma once

#include <istream>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace kvchain {

struct BpeTrainerOptions {
  int64_t vocab_size = 4096;  // including the 256 byte symbols and the special tokens
  int64_t min_frequency = 2;  // a pair seen fewer times is never merged
  std::vector<std::string> special_tokens = {"<|begin_of_text|>", "<|end_of_text|>"};
};

// Learns a byte-level BPE vocabulary (Llama-3 pre-tokenizer) from text read line by line.
// Ties between equally frequent pairs go to the lexicographically smaller pair, so the result
// depends only on the text and the options.
Tokenizer train_bpe(std::istream& text, const BpeTrainerOptions& options);

}  // namespace kvchain
