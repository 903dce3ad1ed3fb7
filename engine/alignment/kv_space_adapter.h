#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "engine/model/model_config.h"

namespace kvchain {

// One frozen model's way into and out of a latent space that several models' K-V caches share
// (the follow-on idea to FTHSS: "Latent Space Communication via K-V Cache Alignment"). Per layer,
// a key encoder and a value encoder map a token's kv_heads x head_dim keys (before RoPE) and
// values to `shared_dim` numbers each, and a key decoder and a value decoder map them back. A
// sender's encoders and a receiver's decoders translate the sender's cache for the receiver
// (alignment/cache_translation.h); N models need N adapters, not N^2 translators.
//
// Parameters, [layers, out, in] each (their names are the safetensors keys): key_encoder,
// value_encoder [L, shared_dim, W] and key_decoder, value_decoder [L, W, shared_dim], W =
// kv_heads x head_dim. Initialised so that decoding an encoding gives the input back: the
// identity where shared_dim == W, else an orthonormal projection (exact when shared_dim > W).
class KVSpaceAdapter : public torch::nn::Module {
 public:
  KVSpaceAdapter(const ModelConfig& model, int64_t shared_dim, uint64_t seed = 0);

  int64_t layers() const { return layers_; }
  int64_t shared_dim() const { return shared_dim_; }
  int64_t kv_heads() const { return kv_heads_; }
  int64_t head_dim() const { return head_dim_; }

  // keys or values [B, kv_heads, n, head_dim] of `layer` -> [B, n, shared_dim].
  torch::Tensor encode_keys(int64_t layer, const torch::Tensor& keys);
  torch::Tensor encode_values(int64_t layer, const torch::Tensor& values);
  // [B, n, shared_dim] -> [B, kv_heads, n, head_dim] of `layer`.
  torch::Tensor decode_keys(int64_t layer, const torch::Tensor& shared);
  torch::Tensor decode_values(int64_t layer, const torch::Tensor& shared);

  // Replaces the parameters with `tensors` (safetensors names above), checking every shape;
  // `where` names the file in errors.
  void load(const std::unordered_map<std::string, torch::Tensor>& tensors,
            const std::string& where);

 private:
  torch::Tensor encode(const torch::Tensor& weight, int64_t layer, const torch::Tensor& x) const;
  torch::Tensor decode(const torch::Tensor& weight, int64_t layer, const torch::Tensor& z) const;

  int64_t layers_, kv_heads_, head_dim_, shared_dim_;
  torch::Tensor key_encoder_, value_encoder_, key_decoder_, value_decoder_;
};

}  // namespace kvchain
