#pragma once

#include <torch/torch.h>

namespace kvchain::kernels {

// Small operations of a forward fused into one CUDA kernel each (kernels/fused_ops.cu), built
// when a CUDA toolkit sits next to a CUDA libtorch. Without autograd only: the supports()
// functions say whether a call takes these tensors (built in, on a CUDA device, float32,
// bfloat16 or float16 throughout, no gradient wanted).

// A decode step's rotation and cache write in one kernel. qkv [B,1,H+2Hkv,D] (contiguous) holds
// one token's query, key and value heads; cos, sin [B,1,1,D] are its RotaryTables; keys and
// values are the cache's whole buffers [B,Hkv,capacity,D] (KVCache::buffers) and `slot` the
// device int64 [1] naming where the rotated key and the value go. Returns the rotated queries
// [B,H,1,D].
bool rotary_write_supports(const torch::Tensor& qkv, const torch::Tensor& cos,
                           const torch::Tensor& sin, const torch::Tensor& keys,
                           const torch::Tensor& values, const torch::Tensor& slot);
torch::Tensor rotary_write(const torch::Tensor& qkv, const torch::Tensor& cos,
                           const torch::Tensor& sin, const torch::Tensor& keys,
                           const torch::Tensor& values, const torch::Tensor& slot);

// silu(gate) * up for gate_up [..., 2F] (contiguous; gate first): [..., F].
bool silu_mul_supports(const torch::Tensor& gate_up);
torch::Tensor silu_mul(const torch::Tensor& gate_up);

}  // namespace kvchain::kernels
