#pragma once

#include <torch/torch.h>

#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"
#include "engine/model/rms_norm.h"
#include "engine/model/rope.h"
#include "engine/model/stacked_linear.h"

namespace kvchain {

// Attention for a few query rows as plain matmuls, with each KV head's query heads stacked as
// rows: the cache is read once per KV head, by matmuls that spread over its keys. On libtorch
// 1.13 compat::attention copies the keys and values per query head instead; on a GPU, SDPA is
// several times slower for a few tokens over a long cache.
// q [B,H,Tq,D]; k, v [B,Hkv,Tk,D]; mask as in compat::attention (not causal).
torch::Tensor few_query_attention(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& mask);

// Grouped-query self-attention with RoPE; reads and appends to a KV cache when given one.
class LlamaAttention : public torch::nn::Module {
 public:
  LlamaAttention(const ModelConfig& config, int64_t layer_index);

  // residual + attention(x), for x [B,T,C]. `mask` (additive, as in compat::attention) covers
  // the first R <= T new tokens and the cached slots before them, [B|1, H|1, R, past+R]; the
  // tokens after them see the cache and the new tokens up to themselves. May add in place to
  // `residual` (see add_linear). With the sum's norm by `next_norm`.
  NormedSum forward(const torch::Tensor& x, const RotaryTables& rotary, const torch::Tensor& mask,
                    KVCache* cache, const torch::Tensor& residual, RMSNorm& next_norm);

 private:
  // The attention of queries q over keys k and values v by the fastest exact kernel.
  // `shape_stable`: a step over the cache's whole capacity (ForwardArgs::cache_slots).
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& mask, bool causal, bool shape_stable) const;

  // Query rows (query heads per KV head times tokens) up to which an eager forward may use
  // few_query_attention: FTHSS's 8-token prefill of a member's input on Llama-3-8B's 4 query
  // heads per KV head. A shape-stable step has at most DecodeStep::kMaxPrefillRows tokens.
  static constexpr int64_t kFewQueryRows = 32;
  // Keys (cached slots and the new tokens) from which a GPU gives more than one token of an
  // eager forward to few_query_attention instead of SDPA. FTHSS's 8-token prefill on the H200
  // took 8.5 ms by SDPA and 9.0 by it over 3,240 keys, 12.7 and 9.1 over 8,240: 4,096 is a pick
  // inside that bracket, and where it lies depends on the host, which launches the eager
  // prefill's kernels.
  static constexpr int64_t kFewQueryMinColumns = 4096;

  int64_t layer_index_, num_heads_, num_kv_heads_, head_dim_;
  torch::nn::Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, o_proj_{nullptr};
  StackedLinear qkv_;
};

}  // namespace kvchain
