#pragma once

#include <torch/torch.h>

#include <utility>

#include "engine/model/model_config.h"

namespace kvchain {

// Rotary position embedding driven by explicit position ids, so chain members can continue
// numbering across one shared cache. Matches transformers' LlamaRotaryEmbedding.
class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(const ModelConfig& config);

  const torch::Tensor& inv_freq() const { return inv_freq_; }
  // cos and sin for position_ids [B,T], shaped [B,1,T,head_dim] and cast to `dtype`.
  std::pair<torch::Tensor, torch::Tensor> cos_sin(const torch::Tensor& position_ids,
                                                  torch::ScalarType dtype) const;

 private:
  torch::Tensor inv_freq_;  // float32 [head_dim/2], on CPU
  // Its copy on the ids' device, made once: a replayed decode step cannot copy from the host.
  mutable torch::Tensor device_inv_freq_;
};

// x * cos + rotate_half(x) * sin, for x [B,H,T,D].
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos,
                           const torch::Tensor& sin);

}  // namespace kvchain
