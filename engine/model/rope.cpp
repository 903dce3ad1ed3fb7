#include "engine/model/rope.h"

#include <cmath>

namespace kvchain {
namespace {

// Llama-3 keeps high frequencies, divides low ones by `factor`, and blends the band between.
torch::Tensor llama3_scaled(const torch::Tensor& inv_freq, const RopeScaling& rs) {
  const double old_len = static_cast<double>(rs.original_max_position_embeddings);
  const double low_freq_wavelen = old_len / rs.low_freq_factor;
  const double high_freq_wavelen = old_len / rs.high_freq_factor;
  auto wavelen = 2 * M_PI / inv_freq;
  auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / rs.factor, inv_freq);
  auto smooth =
      (old_len / wavelen - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / rs.factor + smooth * scaled;
  auto medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return torch::where(medium, smoothed, scaled);
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(const ModelConfig& config) {
  const auto dim = config.head_dim;
  auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / dim;
  inv_freq_ = 1.0 / torch::pow(config.rope_theta, exponents);
  const auto& rs = config.rope_scaling;
  if (rs.type == "linear") inv_freq_ = inv_freq_ / rs.factor;
  if (rs.type == "llama3") inv_freq_ = llama3_scaled(inv_freq_, rs);
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::cos_sin(const torch::Tensor& position_ids,
                                                                 torch::ScalarType dtype) const {
  if (!device_inv_freq_.defined() || device_inv_freq_.device() != position_ids.device()) {
    device_inv_freq_ = inv_freq_.to(position_ids.device());
  }
  const auto& inv = device_inv_freq_;
  // [B,T,1] * [D/2] in float32, as transformers does regardless of the model dtype.
  auto freqs = position_ids.to(torch::kFloat32).unsqueeze(-1) * inv;
  auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos,
                           const torch::Tensor& sin) {
  const auto half = x.size(-1) / 2;
  auto rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

}  // namespace kvchain
