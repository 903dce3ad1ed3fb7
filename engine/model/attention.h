#pragma once

#include <torch/torch.h>

#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"
#include "engine/model/rope.h"
#include "engine/model/stacked_linear.h"

namespace kvchain {

// Attention for a few query rows as plain matmuls, with each KV head's query heads stacked as
// rows: the cache is read once per KV head, by matmuls that spread over its keys. On libtorch
// 1.13 compat::attention copies the keys and values per query head instead; on a GPU, SDPA is
// several times slower for a few tokens over a long cache.
// q [B,H,Tq,D]; k, v [B,Hkv,Tk,D]; mask as in compat::attention (not causal). A shape-stable
// prefill of many rows (a batch of long examples) comes here too: its scores are computed a
// block of query rows at a time, each block's at most `max_score_bytes`, so that they never
// form one tensor of B x H x Tq x Tk (tens of GiB for 32 rows of 3,000 tokens on Llama-3-8B).
constexpr int64_t kMaxScoreBytes = int64_t{1} << 30;
torch::Tensor few_query_attention(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& mask,
                                  int64_t max_score_bytes = kMaxScoreBytes);

// Grouped-query self-attention with RoPE; reads and appends to a KV cache when given one (its
// open write names the slots). The output projection is the caller's: the decoder layer adds it
// to the residual stream together with the next norm (add_linear_norm).
class LlamaAttention : public torch::nn::Module {
 public:
  LlamaAttention(const ModelConfig& config, int64_t layer_index);

  // attention(x) before o_proj, [B,T,H*D], for x [B,T,C]. `mask` (additive, as in
  // compat::attention) covers the first R <= T new tokens and the cached slots before them,
  // [B|1, H|1, R, past+R]; the tokens after them see the cache and the new tokens up to
  // themselves.
  torch::Tensor forward(const torch::Tensor& x, const RotaryTables& rotary,
                        const torch::Tensor& mask, KVCache* cache);
  torch::nn::Linear& o_proj() { return o_proj_; }

 private:
  // How one forward's attention runs; choose_path() and attend() are where every choice is made.
  struct Path {
    // A cache write at named slots: attention reads the cache's whole capacity.
    bool shape_stable = false;
    // kernels::rotary_write rotates the queries and keys and stores the keys and values at the
    // write's slots in one kernel (`target`); otherwise RoPE, then KVCache::write.
    bool fused_write = false;
    LayerWrite target;
    // A prefill that is mostly a causal run, behind at most as many cached slots: its queries
    // are written behind `past` blank rows, so one causal kernel from the top-left corner
    // covers them, in [B, rows, H, D] order, which SDPA's output keeps and o_proj reads as it
    // is; its masked first rows are attended again.
    bool padded_queries = false;
  };
  Path choose_path(const torch::Tensor& qkv, const RotaryTables& rotary, int64_t masked,
                   int64_t past, KVCache* cache) const;
  // The attention of queries q over keys k and values v by the fastest exact kernel.
  // `shape_stable`: a step over the cache's whole capacity.
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& mask, bool causal, bool shape_stable) const;

  // Query rows (query heads per KV head times tokens) up to which an eager forward may use
  // few_query_attention: FTHSS's 8-token prefill of a member's input on Llama-3-8B's 4 query
  // heads per KV head. A shape-stable step has at most ShapeStableSteps::kMaxPrefillRows tokens.
  static constexpr int64_t kFewQueryRows = 32;
  // Keys (cached slots and the new tokens) from which a GPU gives more than one token of an
  // eager forward to few_query_attention instead of SDPA: where SDPA's time over a long cache
  // overtakes the extra launches of the matmuls (bench/README.md, "Attention kernels").
  static constexpr int64_t kFewQueryMinColumns = 4096;

  int64_t layer_index_, num_heads_, num_kv_heads_, head_dim_;
  torch::nn::Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, o_proj_{nullptr};
  StackedLinear qkv_;
};

}  // namespace kvchain
