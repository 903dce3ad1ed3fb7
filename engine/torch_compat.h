#pragma once

// The one place where kvchain adapts to the libtorch version: Debian's 1.13 on CPU machines and
// CI, PyTorch 2.x's libtorch on the GPU machine. Everything else calls these functions.

#include <torch/torch.h>
#include <torch/version.h>

#define KVCHAIN_TORCH_VERSION (TORCH_VERSION_MAJOR * 100 + TORCH_VERSION_MINOR)

namespace kvchain::compat {

// softmax(q k^T / sqrt(d) + mask) v for q [B,H,Tq,D] and k, v [B,Hkv,Tk,D] with H a multiple of
// Hkv (grouped-query attention). `mask` is undefined, boolean (true = may attend) or additive,
// broadcastable to [B,H,Tq,Tk]. `is_causal` (only with no mask) aligns the causal diagonal to the
// top-left corner, so callers pass it only when Tq == Tk.
inline torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& mask, bool is_causal) {
  const int64_t groups = q.size(1) / k.size(1);
#if KVCHAIN_TORCH_VERSION >= 205
  // An undefined tensor is not "no mask" here: it must be an empty optional.
  auto optional_mask = mask.defined() ? c10::optional<torch::Tensor>(mask) : c10::nullopt;
  return at::scaled_dot_product_attention(q, k, v, optional_mask, 0.0, is_causal, c10::nullopt,
                                          /*enable_gqa=*/groups > 1);
#else
  // libtorch < 2.5 has no public fused kernel with grouped-query support: compute it directly,
  // with the softmax in float32 as the fused kernels do, a block of query rows at a time. A
  // long prefill's scores would otherwise be one tensor of gigabytes, freshly mapped by the
  // allocator (and so page-faulted) several times per layer; blocks of at most kBlockBytes
  // stay under glibc's mmap threshold and are reused.
  constexpr int64_t kBlockBytes = int64_t{16} << 20;
  auto keys = groups > 1 ? k.repeat_interleave(groups, 1) : k;
  auto values = groups > 1 ? v.repeat_interleave(groups, 1) : v;
  const int64_t rows = q.size(2), columns = k.size(2);
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
    if (is_causal) {
      auto allowed = torch::ones({n, columns}, q.options().dtype(torch::kBool)).tril(begin);
      scores.masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity());
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

}  // namespace kvchain::compat
