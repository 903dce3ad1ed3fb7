#pragma once

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

// What a benchmark program runs on, from the environment: KVCHAIN_BENCH_DEVICE (cpu, cuda;
// default cpu) and KVCHAIN_BENCH_DTYPE (float32 or bfloat16; default float32).
namespace kvchain::bench {

inline torch::Device bench_device() {
  const char* env = std::getenv("KVCHAIN_BENCH_DEVICE");
  return torch::Device(env != nullptr ? env : "cpu");
}

inline torch::ScalarType bench_dtype() {
  const char* env = std::getenv("KVCHAIN_BENCH_DTYPE");
  return env != nullptr && std::string(env) == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
}

// The middle value (the upper one of an even count); 0 for none.
inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + values.size() / 2;
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

// Random weights drawn where the module lives (an 8B model's on the CPU would take minutes):
// unit norms, Normal(0, 0.02) matrices.
inline void random_weights_in_place(torch::nn::Module& module, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& item : module.named_parameters()) {
    auto& p = item.value();
    if (p.dim() == 1) {
      p.fill_(1.0);
    } else {
      p.normal_(0, 0.02);
    }
  }
}

// Waits for the device, so a timer stopped after it counts the work.
inline void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// Runs `work` once per iteration, eagerly, with its time (the device synchronised before and
// after) as the iteration's manual time; `prepare`, if given, runs untimed before each. Returns
// the times.
inline std::vector<double> time_iterations(benchmark::State& state,
                                           const std::function<void()>& work,
                                           const std::function<void()>& prepare = {}) {
  std::vector<double> times;
  for (auto _ : state) {
    if (prepare) prepare();
    sync(bench_device());
    const auto start = std::chrono::steady_clock::now();
    work();
    sync(bench_device());
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state.SetIterationTime(times.back());
  }
  return times;
}

}  // namespace kvchain::bench
