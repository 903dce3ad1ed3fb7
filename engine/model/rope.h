#pragma once

#include <torch/torch.h>

#include "engine/model/model_config.h"

namespace kvchain {

// One forward's rotary tables, applied in every layer: transformers' x * cos + rotate_half(x) *
// sin with cos, sin [B,T,1,D], computed as x * cos + swap_halves(x) * swapped_sin (sin with its
// first half negated: one pass over x fewer), or, for a few positions, x @ matrix with the
// rotation as matrices [B,T,D,D], one matmul where the formula takes three kernels. Either
// table is made on first use: a fused kernel (kernels::rotary_write) needs only cos and sin.
struct RotaryTables {
  torch::Tensor cos, sin;
  torch::Tensor half_turn;  // rotate_half as a [D,D] matrix, given for a few positions only
  bool by_matrix() const { return half_turn.defined(); }
  // x [B,T,heads,D].
  torch::Tensor apply(const torch::Tensor& x) const;

 private:
  mutable torch::Tensor matrix_, swapped_sin_;
};

// Rotary position embedding driven by explicit position ids, so chain members can continue
// numbering across one shared cache. Matches transformers' LlamaRotaryEmbedding.
class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(const ModelConfig& config);

  const torch::Tensor& inv_freq() const { return inv_freq_; }
  // The rotation at position_ids [B,T], in `dtype`, for one forward's layers.
  RotaryTables tables(const torch::Tensor& position_ids, torch::ScalarType dtype) const;

 private:
  // Forwards with at most this many positions get the rotation as matrices.
  static constexpr int64_t kMatrixPositions = 16;
  // `host` on the device in `dtype`, made once: a replayed decode step cannot copy from the host.
  const torch::Tensor& on_device(const torch::Tensor& host, torch::Tensor& cached,
                                 const torch::Device& device, torch::ScalarType dtype) const;

  torch::Tensor inv_freq_;  // float32 [head_dim/2], on CPU
  // rotate_half as a matrix: x @ half_turn_ == cat(-x[D/2:], x[:D/2]).
  torch::Tensor half_turn_;
  mutable torch::Tensor device_inv_freq_, device_half_turn_;
};

}  // namespace kvchain
