#pragma once

#include <torch/torch.h>

namespace kvchain::kernels {

// Attention of a few new tokens over a KV cache (a decode step, FTHSS's short prefill behind the
// shared cache) as two fused CUDA kernels (kernels/decode_attention.cu), built when a CUDA
// toolkit sits next to a CUDA libtorch. supports() says whether it takes these tensors: built
// in, on a CUDA device, no gradient wanted, head dim 64 or 128, at most 64 query rows per KV head
// (query heads per KV head times tokens), one floating type throughout, keys and values with
// contiguous rows and an additive mask (the model makes it so) of [B|1, H|1, T, Tk]; no mask lets
// every token see every key.
bool decode_attention_supports(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask);

// softmax(q k^T / sqrt(d) + mask) v for q [B,H,T,D] and k, v [B,Hkv,Tk,D], as
// few_query_attention computes it, with every sum in float32.
torch::Tensor decode_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask);

}  // namespace kvchain::kernels
