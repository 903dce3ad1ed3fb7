#pragma once

// The one place where kvchain adapts to the libtorch version: Debian's 1.13 on CPU machines and
// CI, PyTorch 2.x's libtorch on the GPU machine. Everything else calls these functions.

#include <torch/torch.h>
#include <torch/version.h>

#include <limits>
#include <vector>

#define KVCHAIN_TORCH_VERSION (TORCH_VERSION_MAJOR * 100 + TORCH_VERSION_MINOR)

namespace kvchain::compat {

// Lets CUDA float32 matmuls run on TF32 tensor cores (a process-wide setting).
inline void allow_tf32_matmul() {
  at::globalContext().setAllowTF32CuBLAS(true);
}

// [rows, columns] of 0 where column j <= row i + offset, else -inf: the causal mask made additive,
// by comparing index ranges, which is much faster than libtorch 1.13's tril and triu on the CPU
// (measured in bench/README.md, "CPU: host memory and libtorch 1.13's attention").
inline torch::Tensor causal_bias(int64_t rows, int64_t columns, int64_t offset,
                                 const torch::TensorOptions& options) {
  const auto ids = options.dtype(torch::kInt64);
  auto hidden = torch::arange(columns, ids).unsqueeze(0) >
                torch::arange(offset, offset + rows, ids).unsqueeze(1);
  return torch::zeros({rows, columns}, options)
      .masked_fill_(hidden, -std::numeric_limits<float>::infinity());
}

// softmax(q k^T / sqrt(d) + mask) v for q [B,H,Tq,D] and k, v [B,Hkv,Tk,D] with H a multiple of
// Hkv (grouped-query attention). `mask` is undefined, boolean (true = may attend) or additive,
// broadcastable to [B,H,Tq,Tk]. `causal` (only with no mask) lets query row i see key columns up
// to i + Tk - Tq: the new tokens' causal mask behind a cache of Tk - Tq earlier slots.
inline torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask, bool causal) {
  const int64_t groups = q.size(1) / k.size(1);
  const int64_t rows = q.size(2), columns = k.size(2), offset = columns - rows;
#if KVCHAIN_TORCH_VERSION >= 205
  // SDPA aligns is_causal to the top-left corner, and an explicit mask rules out the flash
  // kernel. With `offset` blank query rows in front the corner
  // is the cache's, and the causal kernel a prefill from scratch gets (the fastest) applies:
  // worth it while the blank rows are at most as many as the real ones. Otherwise the flash
  // kernel, which aligns causal to the bottom-right corner itself but runs slower (measured in
  // bench/README.md, "Attention kernels").
  if (causal && offset > 0 && offset <= rows) {
    auto blank = torch::zeros({q.size(0), q.size(1), offset, q.size(3)}, q.options());
    return at::scaled_dot_product_attention(torch::cat({blank, q}, 2), k, v, c10::nullopt, 0.0,
                                            /*is_causal=*/true, c10::nullopt, groups > 1)
        .narrow(2, offset, rows);
  }
  const bool half = q.scalar_type() == torch::kBFloat16 || q.scalar_type() == torch::kHalf;
  if (causal && offset > 0 && q.is_cuda() && half && q.size(-1) % 8 == 0 && q.size(-1) <= 256) {
    return std::get<0>(at::_scaled_dot_product_flash_attention(q, k, v, 0.0, /*is_causal=*/true));
  }
  torch::Tensor explicit_mask = mask;
  if (causal && offset > 0) {
    explicit_mask = causal_bias(rows, columns, offset, q.options());
  }
  // An undefined tensor is not "no mask" here: it must be an empty optional.
  auto optional_mask =
      explicit_mask.defined() ? c10::optional<torch::Tensor>(explicit_mask) : c10::nullopt;
  return at::scaled_dot_product_attention(q, k, v, optional_mask, 0.0, causal && offset == 0,
                                          c10::nullopt, /*enable_gqa=*/groups > 1);
#else
  // libtorch < 2.5 has no public fused kernel with grouped-query support: compute it directly,
  // with the softmax in float32 as the fused kernels do, a block of query rows at a time. A
  // long prefill's scores would otherwise be one tensor of gigabytes, freshly mapped by the
  // allocator (and so page-faulted) several times per layer; blocks of at most kBlockBytes
  // stay under glibc's mmap threshold and are reused (measured in bench/README.md, "CPU: host
  // memory and libtorch 1.13's attention").
  constexpr int64_t kBlockBytes = int64_t{16} << 20;
  auto keys = groups > 1 ? k.repeat_interleave(groups, 1) : k;
  auto values = groups > 1 ? v.repeat_interleave(groups, 1) : v;
  const int64_t row_bytes = q.size(0) * q.size(1) * columns * 4;
  const int64_t block = std::max<int64_t>(1, kBlockBytes / std::max<int64_t>(row_bytes, 1));
  const double scale = std::sqrt(static_cast<double>(q.size(-1)));
  std::vector<torch::Tensor> outputs;
  int64_t begin = 0;
  do {
    const int64_t n = std::min(block, rows - begin);
    auto scores = torch::matmul(q.narrow(2, begin, n), keys.transpose(-2, -1))
                      .to(torch::kFloat32)
                      .div_(scale);
    if (causal) {
      scores.add_(causal_bias(n, columns, begin + offset, scores.options()));
    } else if (mask.defined()) {
      auto rows_mask = mask.size(2) == 1 ? mask : mask.narrow(2, begin, n);
      if (mask.scalar_type() == torch::kBool) {
        scores.masked_fill_(rows_mask.logical_not(), -std::numeric_limits<float>::infinity());
      } else {
        scores.add_(rows_mask.to(torch::kFloat32));
      }
    }
    outputs.push_back(torch::matmul(torch::softmax(scores, -1).to(q.scalar_type()), values));
    begin += n;
  } while (begin < rows);
  return outputs.size() == 1 ? outputs[0] : torch::cat(outputs, 2);
#endif
}

// Whether attention() hands a grouped-query attention to SDPA as it is, on a GPU: libtorch 2.5
// or later, the case LlamaAttention::attend's choice between SDPA and few_query_attention rests
// on (measured in bench/README.md, "Attention kernels"). Below 2.5 attention() copies the keys
// and values per query head first.
inline bool grouped_sdpa_on_gpu(const torch::Tensor& q) {
  return KVCHAIN_TORCH_VERSION >= 205 && q.is_cuda();
}

// What a forward's layers get for `mask` (additive, [B|1, H|1, R, past+R]) over the first R of
// its t new tokens, the rest being causal: the mask itself where attention() has a fused causal
// kernel behind a cache; on libtorch < 2.5 the mask extended to all t rows, made once: cheaper
// than a causal mask made in every layer.
inline torch::Tensor layer_mask(const torch::Tensor& mask, int64_t past, int64_t t) {
#if KVCHAIN_TORCH_VERSION >= 205
  (void)past;
  (void)t;
  return mask;
#else
  if (!mask.defined() || mask.size(2) == t) return mask;
  const int64_t rows = mask.size(2);
  auto full = causal_bias(t, past + t, past, mask.options())
                  .expand({mask.size(0), mask.size(1), t, past + t})
                  .clone();
  full.narrow(2, 0, rows).narrow(3, 0, past + rows).copy_(mask);
  return full;
#endif
}

// Whether bmm_float32 takes bfloat16 and float16 inputs on a GPU as they are: libtorch 2.8 and
// later write their float32 product; earlier versions convert each operand first (a copy).
constexpr bool kFloatProductOfHalves = KVCHAIN_TORCH_VERSION >= 208;

// The batched product a @ b in float32, accumulated in float32.
inline torch::Tensor bmm_float32(const torch::Tensor& a, const torch::Tensor& b) {
#if KVCHAIN_TORCH_VERSION >= 208
  if (a.is_cuda() && a.scalar_type() != torch::kFloat32) return at::bmm(a, b, torch::kFloat32);
#endif
  return at::bmm(a.to(torch::kFloat32), b.to(torch::kFloat32));
}

// RMSNorm as transformers computes it: normalise in float32, cast back, scale by `weight`.
// libtorch 2.8 and later have a fused kernel; it rounds once, after the scaling, instead.
inline torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
#if KVCHAIN_TORCH_VERSION >= 208
  return at::rms_norm(x, {x.size(-1)}, weight, eps);
#else
  auto h = x.to(torch::kFloat32);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * h.to(x.scalar_type());
#endif
}

}  // namespace kvchain::compat
