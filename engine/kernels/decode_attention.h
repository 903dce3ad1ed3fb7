#pragma once

#include <torch/torch.h>

namespace kvchain::kernels {

// The decode step's attention as two fused CUDA kernels (kernels/decode_attention.cu), built
// when a CUDA toolkit sits next to a CUDA libtorch. supports() says whether it takes these
// tensors: built in, on a CUDA device, one query row, head dim 64 or 128, 1, 2, 4 or 8 query
// heads per KV head, one floating type throughout, keys and values with contiguous rows and an
// additive mask (the model makes it so) of [B|1, H|1, 1, Tk].
bool decode_attention_supports(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask);

// softmax(q k^T / sqrt(d) + mask) v for q [B,H,1,D] and k, v [B,Hkv,Tk,D], as
// few_query_attention computes it, with every sum in float32.
torch::Tensor decode_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask);

}  // namespace kvchain::kernels
