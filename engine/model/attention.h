#pragma once

#include <torch/torch.h>

#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"

namespace kvchain {

// Grouped-query self-attention with RoPE; reads and appends to a KV cache when given one.
class LlamaAttention : public torch::nn::Module {
 public:
  LlamaAttention(const ModelConfig& config, int64_t layer_index);

  // x [B,T,C]; cos/sin [B,1,T,D]; mask as in compat::attention (already covering cached slots).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, bool is_causal, KVCache* cache);

 private:
  int64_t layer_index_, num_heads_, num_kv_heads_, head_dim_;
  torch::nn::Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, o_proj_{nullptr};
};

}  // namespace kvchain
