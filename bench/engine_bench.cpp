// Prefill and per-token decode latency of the engine on a small random-weight Llama.
// $KVCHAIN_BENCH_DEVICE picks the device (default cpu) and $KVCHAIN_BENCH_DTYPE the weight and
// cache dtype (float32 or bfloat16, default float32); bench/README.md has recorded numbers.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "bench/bench_env.h"
#include "engine/model/llama_model.h"

namespace kvchain {
namespace {

// Roughly a 30M-parameter Llama: large enough that matmuls dominate, small enough for a laptop.
ModelConfig small_llama() {
  return ModelConfig::from_json(Json{{"model_type", "llama"},
                                     {"vocab_size", 8192},
                                     {"hidden_size", 512},
                                     {"intermediate_size", 1376},
                                     {"num_hidden_layers", 8},
                                     {"num_attention_heads", 8},
                                     {"num_key_value_heads", 4},
                                     {"max_position_embeddings", 4096},
                                     {"rope_theta", 10000.0}},
                                "bench small_llama");
}

LlamaForCausalLM& model() {
  static std::shared_ptr<LlamaForCausalLM> m = [] {
    auto built = std::make_shared<LlamaForCausalLM>(small_llama());
    built->init_random(1);
    built->to(bench::bench_device(), bench::bench_dtype());
    built->eval();
    return built;
  }();
  return *m;
}

torch::Tensor random_ids(int64_t tokens) {
  return torch::randint(0, model().config().vocab_size, {1, tokens},
                        torch::TensorOptions().dtype(torch::kInt64).device(model().device()));
}

void sync() {
  bench::sync(model().device());
}

// One forward over N fresh tokens into an empty cache, as a chain member's prefill does.
void BM_Prefill(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const int64_t tokens = state.range(0);
  auto ids = random_ids(tokens);
  auto cache = model().make_cache(1, tokens, KVCache::Layout::kStatic);
  for (auto _ : state) {
    cache.truncate(0);
    ForwardArgs args;
    args.input_ids = ids;
    args.cache = &cache;
    args.last_logits_only = true;
    benchmark::DoNotOptimize(model().forward(args).logits);
    sync();
  }
  state.counters["tokens_per_s"] = benchmark::Counter(
      static_cast<double>(tokens), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Prefill)->Arg(64)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// One decode step (one new token reading a cache of `context` tokens); the cache is cut back
// after each step so every iteration sees the same context length.
void BM_DecodeStep(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const int64_t context = state.range(0);
  auto cache = model().make_cache(1, context + 1, KVCache::Layout::kStatic);
  ForwardArgs prefill;
  prefill.input_ids = random_ids(context);
  prefill.cache = &cache;
  model().forward(prefill);
  auto next = random_ids(1);
  for (auto _ : state) {
    ForwardArgs step;
    step.input_ids = next;
    step.cache = &cache;
    step.last_logits_only = true;
    benchmark::DoNotOptimize(model().forward(step).logits);
    sync();
    cache.truncate(context);
  }
  state.counters["kv_bytes"] = static_cast<double>(cache.bytes_used());
}
BENCHMARK(BM_DecodeStep)
    ->Arg(128)
    ->Arg(512)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kvchain

BENCHMARK_MAIN();
