#include "engine/model/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/fused_ops.h"
#include "engine/torch_compat.h"

namespace kvchain {

torch::Tensor few_query_attention(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& mask,
                                  int64_t max_score_bytes) {
  const auto b = q.size(0), heads = q.size(1), t = q.size(2), d = q.size(3);
  // The scores and their float32 softmax, per query row.
  const int64_t row_bytes = b * heads * k.size(2) * (q.element_size() + 4);
  const int64_t block = std::max<int64_t>(1, max_score_bytes / std::max<int64_t>(row_bytes, 1));
  if (t > block) {
    std::vector<torch::Tensor> outputs;
    for (int64_t begin = 0; begin < t; begin += block) {
      const int64_t n = std::min(block, t - begin);
      const auto rows_mask = mask.defined() && mask.size(2) > 1 ? mask.narrow(2, begin, n) : mask;
      outputs.push_back(
          few_query_attention(q.narrow(2, begin, n), k, v, rows_mask, max_score_bytes));
    }
    return torch::cat(outputs, 2);
  }
  const auto kv_heads = k.size(1), groups = heads / kv_heads, columns = k.size(2);
  auto rows = (q * (1.0 / std::sqrt(static_cast<double>(d)))).reshape({b, kv_heads, groups * t, d});
  auto scores = torch::matmul(rows, k.transpose(-2, -1));
  if (mask.defined()) {
    const auto mask_heads = mask.size(1);
    auto grouped = mask.reshape({mask.size(0), mask_heads == 1 ? 1 : kv_heads,
                                 mask_heads == 1 ? 1 : groups, mask.size(2), columns});
    auto scores_grouped = scores.view({b, kv_heads, groups, t, columns});
    if (mask.scalar_type() == torch::kBool) {
      scores_grouped.masked_fill_(grouped.logical_not(), -std::numeric_limits<float>::infinity());
    } else {
      scores_grouped.add_(grouped);
    }
  }
  // Softmax accumulates in float32 whatever the input's type, as the fused kernels do.
  return torch::matmul(torch::softmax(scores, -1), v).view({b, heads, t, d});
}

LlamaAttention::LlamaAttention(const ModelConfig& config, int64_t layer_index)
    : layer_index_(layer_index),
      num_heads_(config.num_attention_heads),
      num_kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      qkv_({}) {
  const auto c = config.hidden_size;
  const bool bias = config.attention_bias;
  namespace nn = torch::nn;
  q_proj_ = register_module("q_proj",
                            nn::Linear(nn::LinearOptions(c, num_heads_ * head_dim_).bias(bias)));
  k_proj_ = register_module("k_proj",
                            nn::Linear(nn::LinearOptions(c, num_kv_heads_ * head_dim_).bias(bias)));
  v_proj_ = register_module("v_proj",
                            nn::Linear(nn::LinearOptions(c, num_kv_heads_ * head_dim_).bias(bias)));
  o_proj_ = register_module("o_proj",
                            nn::Linear(nn::LinearOptions(num_heads_ * head_dim_, c).bias(bias)));
  qkv_ = StackedLinear({q_proj_, k_proj_, v_proj_});
}

LlamaAttention::Path LlamaAttention::choose_path(const torch::Tensor& qkv,
                                                 const RotaryTables& rotary, int64_t masked,
                                                 int64_t past, KVCache* cache) const {
  Path path;
  if (cache == nullptr) return path;
  path.shape_stable = cache->writes_named_slots();
  // With autograd the kernel cannot run, and on a CPU there is none: no device slots are made.
  if (!qkv.is_cuda() || qkv.requires_grad()) return path;
  auto target = cache->layer_write(layer_index_);
  if (!kernels::rotary_write_supports(qkv, rotary.cos, rotary.sin, target.keys, target.values,
                                      target.slots)) {
    return path;
  }
  path.fused_write = true;
  path.target = std::move(target);
  const int64_t t = qkv.size(1);
  path.padded_queries = !path.shape_stable && t > 1 && 2 * masked <= t && past <= t &&
                        compat::grouped_sdpa_on_gpu(qkv);
  return path;
}

torch::Tensor LlamaAttention::attend(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, const torch::Tensor& mask, bool causal,
                                     bool shape_stable) const {
  // With SDPA at hand on a GPU, a decode step is fastest there, and so is an eager prefill of a
  // few tokens behind up to a few thousand cached tokens: its launches dominate it, and
  // few_query_attention is six of them. Behind a longer cache SDPA's time grows far faster. A
  // shape-stable prefill is a CUDA graph's, whose launches cost next to nothing; there
  // few_query_attention's cuBLAS matmuls also replay exactly as their eager warm-up ran, which
  // SDPA's recorded kernels do not always do (bench/README.md, "Attention kernels").
  const int64_t rows = q.size(2) * (num_heads_ / num_kv_heads_);
  const bool sdpa_faster = compat::grouped_sdpa_on_gpu(q) &&
                           (q.size(2) == 1 || (!shape_stable && k.size(2) < kFewQueryMinColumns));
  if (causal || (rows > kFewQueryRows && !shape_stable) || sdpa_faster) {
    return compat::attention(q, k, v, mask, causal);
  }
  return few_query_attention(q, k, v, mask);
}

torch::Tensor LlamaAttention::forward(const torch::Tensor& x, const RotaryTables& rotary,
                                      const torch::Tensor& mask, KVCache* cache) {
  const auto b = x.size(0), t = x.size(1);
  auto qkv = qkv_.forward(x).view({b, t, num_heads_ + 2 * num_kv_heads_, head_dim_});
  const int64_t masked = mask.defined() ? mask.size(2) : 0;
  const int64_t past = cache != nullptr ? cache->size() : 0;
  const auto path = choose_path(qkv, rotary, masked, past, cache);
  torch::Tensor q, k, v, padded;
  if (path.fused_write) {
    torch::Tensor q_out;
    if (path.padded_queries) {
      padded = torch::empty({b, past + t, num_heads_, head_dim_}, qkv.options());
      padded.narrow(1, 0, past).zero_();
      q_out = padded.narrow(1, past, t).transpose(1, 2);
    }
    q = kernels::rotary_write(qkv, rotary.cos, rotary.sin, path.target.keys, path.target.values,
                              path.target.slots, q_out);
    k = path.target.attended_keys;
    v = path.target.attended_values;
  } else {
    // Queries and keys are rotated together, in one kernel (or a few).
    auto qk = rotary.apply(qkv.narrow(2, 0, num_heads_ + num_kv_heads_));
    q = qk.narrow(2, 0, num_heads_).transpose(1, 2);
    k = qk.narrow(2, num_heads_, num_kv_heads_).transpose(1, 2);
    v = qkv.narrow(2, num_heads_ + num_kv_heads_, num_kv_heads_).transpose(1, 2);
    if (cache != nullptr) std::tie(k, v) = cache->write(layer_index_, k, v);
  }
  torch::Tensor out;
  const auto masked_rows = [&] {
    const auto keys = mask.size(3);
    return attend(q.narrow(2, 0, masked), k.narrow(2, 0, keys), v.narrow(2, 0, keys), mask, false,
                  false);
  };
  if (padded.defined()) {
    out = compat::attention(padded.transpose(1, 2), k, v, {}, true).narrow(2, past, t);
    if (masked > 0) out.narrow(2, 0, masked).copy_(masked_rows());
  } else if (masked == t) {
    out = attend(q, k, v, mask, false, path.shape_stable);
  } else if (masked == 0) {
    out = attend(q, k, v, {}, t > 1, false);
  } else {
    // A mask over the whole input would keep the long causal rest off the causal kernels.
    out = torch::cat(
        {masked_rows(), attend(q.narrow(2, masked, t - masked), k, v, {}, t - masked > 1, false)},
        2);
  }
  return out.transpose(1, 2).reshape({b, t, num_heads_ * head_dim_});
}

}  // namespace kvchain
