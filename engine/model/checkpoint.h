#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/model/checkpoint_tensors.h"
#include "engine/model/llama_model.h"
#include "engine/tokenizer/tokenizer.h"

namespace kvchain {

// Loads a Hugging Face Llama checkpoint directory: config.json plus model.safetensors, or
// shards listed in model.safetensors.index.json. Tensors are converted to `dtype`
// (default: float32 on CPU, bfloat16 on CUDA).
std::shared_ptr<LlamaForCausalLM> load_model(const std::string& dir, torch::Device device,
                                             std::optional<torch::ScalarType> dtype = {});

// Writes config.json and the weights in the same layout, atomically; weights above
// `max_shard_bytes` are split into model-0000i-of-0000n.safetensors with an index.
void save_model(LlamaForCausalLM& model, const std::string& dir,
                int64_t max_shard_bytes = int64_t{5} << 30);

// The path of the tokenizer.json beside a checkpoint in `dir`.
std::string tokenizer_file_beside(const std::string& dir);

// The tokenizer.json saved beside a checkpoint in `dir`; if there is none, an Error naming the
// directory and what needs it (`needed_by`, e.g. "the dense encoder").
Tokenizer load_tokenizer_beside(const std::string& dir, const std::string& needed_by);

}  // namespace kvchain
