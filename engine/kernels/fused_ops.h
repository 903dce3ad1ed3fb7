#pragma once

#include <torch/torch.h>

namespace kvchain::kernels {

// Small operations of a forward fused into one CUDA kernel each (kernels/fused_ops.cu), built
// when a CUDA toolkit sits next to a CUDA libtorch. Without autograd only: the supports()
// functions say whether a call takes these tensors (built in, on a CUDA device, float32,
// bfloat16 or float16 throughout, no gradient wanted).

// A shape-stable step's rotation and cache write in one kernel. qkv [B,T,H+2Hkv,D]
// (contiguous) holds T tokens' query, key and value heads; cos, sin [B,T,1,D] are their
// RotaryTables; keys and values are the cache's whole buffers [B,Hkv,capacity,D]
// (KVCache::buffers) and `slots` the device int64 [T] naming where each token's rotated key and
// value go. Returns the rotated queries [B,H,T,D]: `q_out` when given (a view of that shape,
// whose rows are contiguous; a caller's own layout), else a new contiguous tensor.
bool rotary_write_supports(const torch::Tensor& qkv, const torch::Tensor& cos,
                           const torch::Tensor& sin, const torch::Tensor& keys,
                           const torch::Tensor& values, const torch::Tensor& slots);
torch::Tensor rotary_write(const torch::Tensor& qkv, const torch::Tensor& cos,
                           const torch::Tensor& sin, const torch::Tensor& keys,
                           const torch::Tensor& values, const torch::Tensor& slots,
                           const torch::Tensor& q_out = {});

// silu(gate) * up for gate_up [..., 2F] (contiguous; gate first): [..., F].
bool silu_mul_supports(const torch::Tensor& gate_up);
torch::Tensor silu_mul(const torch::Tensor& gate_up);

// RMSNorm of x [..., width] (contiguous) with weight [width], rounded as transformers' Llama
// rounds it: the normalised input to x's type, then its product with the weight. One block a row:
// a decode step's one-row norms (65 a step on Llama-3-8B) take it less than half the time of
// libtorch's fused kernel (measured in bench/README.md, "kvchain's own kernels").
bool rms_norm_supports(const torch::Tensor& x, const torch::Tensor& weight);
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// residual + x weight^T, then the RMSNorm of that sum with norm_weight (rounded as rms_norm,
// the product rounded to x's type before the sum, as transformers adds a layer's output): a
// sublayer's projection back into the residual stream and the next sublayer's norm. For a few
// rows: the product as kSplits float32 parts over K (cuBLAS then needs no split-K reduction of
// its own, which a decode step's o_proj and down_proj otherwise take), added up with the
// residual and normalised by one kernel. Four parts beat addmm_ with its reduction on o_proj
// and down_proj at 1 and at 8 rows (dev/split_product_probe.py; measured in bench/README.md,
// "kvchain's own kernels"). x [..., K] and residual [..., N] hold the same rows, all
// contiguous; weight [N, K]. `residual` becomes the sum; returns the norm [..., N].
constexpr int64_t kSplits = 4, kMaxSplitRows = 8;
bool add_linear_rms_norm_supports(const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& residual, const torch::Tensor& norm_weight);
torch::Tensor add_linear_rms_norm(const torch::Tensor& x, const torch::Tensor& weight,
                                  const torch::Tensor& residual, const torch::Tensor& norm_weight,
                                  double eps);

// The index of x's largest element (the first of equal ones; the first NaN if there is one, as
// torch::argmax) as an int64 [1], for x contiguous with fewer than 2^32 elements. Two kernels,
// several times faster than libtorch's reduction over a decode step's 128,256 logits (measured
// in bench/README.md, "kvchain's own kernels").
bool argmax_supports(const torch::Tensor& x);
torch::Tensor argmax(const torch::Tensor& x);

}  // namespace kvchain::kernels
