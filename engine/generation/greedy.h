#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/generation/shape_stable_steps.h"
#include "engine/model/llama_model.h"
#include "engine/tokenizer/tokenizer.h"

namespace kvchain {

struct GenerationOptions {
  int64_t max_new_tokens = 32;
  std::vector<int64_t> eos_token_ids;     // generation stops after emitting one of these
  std::vector<std::string> stop_strings;  // ... or once the decoded text contains one
  // The attention mask of each decode step (the token about to be appended), for chains whose
  // members must not see all of the cache; empty means plain causal attention.
  std::function<torch::Tensor(const KVCache&)> step_mask;
  // Kept across calls so that its recorded CUDA graphs are reused; null: the call makes its own.
  ShapeStableSteps* steps = nullptr;
};

// kContext: the next token's position would reach the model's max_position_embeddings.
enum class StopReason { kEos, kStopString, kMaxTokens, kContext };
const char* stop_reason_name(StopReason reason);

struct GenerationResult {
  std::vector<int64_t> tokens;  // generated ids only (an EOS that stopped it included)
  std::string text;             // decoded, without EOS and cut before a stop string
  StopReason stop_reason = StopReason::kMaxTokens;
  double prefill_seconds = 0;  // until the first token is known (device synchronised by it)
  double decode_seconds = 0;   // the remaining steps
};

// Greedy decoding for batch 1: one forward over `prefill` (ids or embeddings, appended to
// `cache`, which first reserves room for the prefill and every new token), then one token per
// step from the cache, both through ShapeStableSteps (which runs a prefill of a few tokens in
// shape-stable form too). Generated tokens are recorded in the cache
// under `output_tag`; the last generated token is never fed back, so the cache ends one short
// of `tokens` (a chain's next member appends it with its own input). `tokenizer` is needed for
// text and stop strings, and may be null.
GenerationResult generate_greedy(LlamaForCausalLM& model, KVCache& cache, ForwardArgs prefill,
                                 const GenerationOptions& options, const Tokenizer* tokenizer,
                                 const SegmentTag& output_tag);

}  // namespace kvchain
