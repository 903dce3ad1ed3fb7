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
  const auto half = dim / 2;
  half_turn_ = torch::zeros({dim, dim}, torch::kFloat32);
  half_turn_.narrow(0, half, half).narrow(1, 0, half).fill_diagonal_(-1.0);
  half_turn_.narrow(0, 0, half).narrow(1, half, half).fill_diagonal_(1.0);
}

const torch::Tensor& RotaryEmbedding::on_device(const torch::Tensor& host, torch::Tensor& cached,
                                                const torch::Device& device,
                                                torch::ScalarType dtype) const {
  if (!cached.defined() || cached.device() != device || cached.scalar_type() != dtype) {
    cached = host.to(device, dtype);
  }
  return cached;
}

RotaryTables RotaryEmbedding::tables(const torch::Tensor& position_ids,
                                     torch::ScalarType dtype) const {
  const auto device = position_ids.device();
  // [B,T,1] * [D/2] in float32, as transformers does regardless of the model dtype.
  auto freqs = position_ids.to(torch::kFloat32).unsqueeze(-1) *
               on_device(inv_freq_, device_inv_freq_, device, torch::kFloat32);
  auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(2);
  RotaryTables tables;
  tables.cos = emb.cos().to(dtype);
  tables.sin = emb.sin().to(dtype);
  if (position_ids.numel() <= kMatrixPositions) {
    tables.half_turn = on_device(half_turn_, device_half_turn_, device, dtype);
  }
  return tables;
}

torch::Tensor RotaryTables::apply(const torch::Tensor& x) const {
  if (by_matrix()) {
    // Entries are cos, sin, -sin or 0, so the matrix holds the formula's rounded tables exactly.
    if (!matrix_.defined()) matrix_ = torch::diag_embed(cos.squeeze(2)) + half_turn * sin;
    return torch::matmul(x, matrix_);
  }
  const auto half = x.size(-1) / 2;
  if (!swapped_sin_.defined()) {
    swapped_sin_ = torch::cat({-sin.narrow(-1, 0, half), sin.narrow(-1, half, half)}, -1);
  }
  auto swapped = torch::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return torch::addcmul(x * cos, swapped, swapped_sin_);
}

}  // namespace kvchain
