#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>
#include <vector>

#include "bench/bench_env.h"
#include "engine/model/model_config.h"

// The least time the device could take for the work, from rates measured on it: decode is bound
// by reading the weights and the cache, prefill by its matmul FLOPs (or, for a few tokens, by
// reading the weights once). A benchmark divides its own time by these.
namespace kvchain::bench {

struct DeviceRates {
  double bytes_per_second = 0;  // copy bandwidth: bytes read plus bytes written
  double flops_per_second = 0;  // a large square matmul in the benchmark's dtype
};

// Medians of 10 timed runs after a warm-up.
inline double median_seconds(const std::function<void()>& work, const torch::Device& device) {
  work();
  sync(device);
  std::vector<double> times;
  for (int i = 0; i < 10; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    sync(device);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return median(std::move(times));
}

inline DeviceRates measure_rates(const torch::Device& device, torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  const auto options = torch::TensorOptions().device(device).dtype(dtype);
  // 1 GiB on a GPU (far past its caches), 256 MiB on a CPU.
  const int64_t bytes = device.is_cuda() ? (int64_t{1} << 30) : (int64_t{1} << 28);
  auto from = torch::ones({bytes / static_cast<int64_t>(c10::elementSize(dtype))}, options);
  auto to = torch::empty_like(from);
  DeviceRates rates;
  rates.bytes_per_second = 2.0 * bytes / median_seconds([&] { to.copy_(from); }, device);
  const int64_t n = device.is_cuda() ? 8192 : 1024;
  auto a = torch::randn({n, n}, options), b = torch::randn({n, n}, options);
  auto c = torch::empty({n, n}, options);
  rates.flops_per_second =
      2.0 * n * n * n / median_seconds([&] { torch::matmul_out(c, a, b); }, device);
  return rates;
}

// The work of one forward of a Llama-shaped model, for its floors.
struct Roofline {
  Roofline(const ModelConfig& config, int64_t bytes_per_element, DeviceRates rates)
      : config_(config), element_(bytes_per_element), rates_(rates) {
    const int64_t table = config.vocab_size * config.hidden_size;
    layer_parameters_ = config.parameter_count() - table * (config.tie_word_embeddings ? 1 : 2);
  }

  // Bytes one decode step must read: every weight but the input embedding table (one row of
  // it), plus the keys and values of `context` cached tokens.
  double decode_bytes(int64_t context) const {
    const double weights = static_cast<double>(layer_parameters_) +
                           static_cast<double>(config_.vocab_size) * config_.hidden_size;
    return weights * element_ + static_cast<double>(context) * config_.kv_bytes_per_token(element_);
  }
  double decode_seconds(int64_t context) const {
    return decode_bytes(context) / rates_.bytes_per_second;
  }
  // A decode step of `rows` rows, each over `context` cached tokens: the weights read once.
  double batch_decode_seconds(int64_t rows, int64_t context) const {
    return (decode_bytes(0) +
            static_cast<double>(rows) * context * config_.kv_bytes_per_token(element_)) /
           rates_.bytes_per_second;
  }

  // `tokens` new tokens after `past` cached ones, logits for the last only: 2 FLOPs per weight
  // per token, attention's two matmuls over each token's visible context, one vocabulary row.
  double prefill_flops(int64_t tokens, int64_t past) const {
    const double t = static_cast<double>(tokens);
    const double visible = static_cast<double>(past) + (t + 1) / 2;
    const double attention = 4.0 * config_.num_hidden_layers * config_.num_attention_heads *
                             config_.head_dim * t * visible;
    return 2.0 * layer_parameters_ * t + attention +
           2.0 * static_cast<double>(config_.vocab_size) * config_.hidden_size;
  }
  double prefill_seconds(int64_t tokens, int64_t past) const {
    return std::max(prefill_flops(tokens, past) / rates_.flops_per_second,
                    decode_seconds(past + tokens));
  }

 private:
  ModelConfig config_;
  int64_t element_;
  DeviceRates rates_;
  int64_t layer_parameters_ = 0;
};

}  // namespace kvchain::bench
