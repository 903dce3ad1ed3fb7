#include "engine/model/attention.h"

#include "engine/model/rope.h"
#include "engine/torch_compat.h"

namespace kvchain {

LlamaAttention::LlamaAttention(const ModelConfig& config, int64_t layer_index)
    : layer_index_(layer_index),
      num_heads_(config.num_attention_heads),
      num_kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim) {
  const auto c = config.hidden_size;
  const bool bias = config.attention_bias;
  namespace nn = torch::nn;
  q_proj_ = register_module("q_proj",
                            nn::Linear(nn::LinearOptions(c, num_heads_ * head_dim_).bias(bias)));
  k_proj_ = register_module("k_proj",
                            nn::Linear(nn::LinearOptions(c, num_kv_heads_ * head_dim_).bias(bias)));
  v_proj_ = register_module("v_proj",
                            nn::Linear(nn::LinearOptions(c, num_kv_heads_ * head_dim_).bias(bias)));
  o_proj_ = register_module("o_proj",
                            nn::Linear(nn::LinearOptions(num_heads_ * head_dim_, c).bias(bias)));
}

torch::Tensor LlamaAttention::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin, const torch::Tensor& mask,
                                      bool is_causal, KVCache* cache) {
  const auto b = x.size(0), t = x.size(1);
  auto q = q_proj_->forward(x).view({b, t, num_heads_, head_dim_}).transpose(1, 2);
  auto k = k_proj_->forward(x).view({b, t, num_kv_heads_, head_dim_}).transpose(1, 2);
  auto v = v_proj_->forward(x).view({b, t, num_kv_heads_, head_dim_}).transpose(1, 2);
  q = apply_rotary(q, cos, sin);
  k = apply_rotary(k, cos, sin);
  if (cache != nullptr) std::tie(k, v) = cache->write(layer_index_, k, v);
  auto out = compat::attention(q, k, v, mask, is_causal);
  return o_proj_->forward(out.transpose(1, 2).reshape({b, t, num_heads_ * head_dim_}));
}

}  // namespace kvchain
