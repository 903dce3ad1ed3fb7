#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/chain/chain_model.h"
#include "engine/tokenizer/tokenizer.h"

namespace kvchain::experiments {

// The frozen base model (HF checkpoint directory with tokenizer.json) and the adapters to load,
// by member name.
struct ModelSetup {
  std::string base_dir;
  std::string device = "cpu";
  std::map<std::string, std::string> adapters;
};

struct LoadedChain {
  std::unique_ptr<ChainModel> chain;
  std::unique_ptr<Tokenizer> tokenizer;
  int64_t eos_token_id = -1;
};

// Loads the base (float32 on CPU, bfloat16 on CUDA), freezes it and attaches the adapters,
// frozen too.
LoadedChain load_chain(const ModelSetup& setup);

}  // namespace kvchain::experiments
