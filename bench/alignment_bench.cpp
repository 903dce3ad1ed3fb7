// Chains of different models: the cost of translating a sender's K-V cache into a receiver
// through the shared latent space (engine/alignment/cache_translation.h) against the receiver's
// prefill of the same tokens (what a text chain's receiver does instead), with the KV bytes
// each cache holds. KVCHAIN_BENCH_PAIR picks the shapes: small (the tiny preset sending to the
// mini preset, CPU-sized; default) or llama3 (Llama-3-8B sending to Llama-3.2-3B; a GPU's);
// KVCHAIN_BENCH_DEVICE and KVCHAIN_BENCH_DTYPE as in bench/bench_env.h. Random weights and
// random cached keys and values: the costs do not depend on them. bench/README.md has the
// numbers and the commands.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_env.h"
#include "engine/alignment/cache_translation.h"
#include "engine/io/error.h"
#include "engine/model/llama_model.h"
#include "engine/model/model_presets.h"

namespace kvchain {
namespace {

ModelConfig llama_shape(const std::string& name, int64_t hidden, int64_t intermediate,
                        int64_t layers, int64_t heads, bool tied) {
  return ModelConfig::from_json(Json{{"model_type", "llama"},
                                     {"vocab_size", 128256},
                                     {"hidden_size", hidden},
                                     {"intermediate_size", intermediate},
                                     {"num_hidden_layers", layers},
                                     {"num_attention_heads", heads},
                                     {"num_key_value_heads", 8},
                                     {"max_position_embeddings", 8192},
                                     {"rope_theta", 500000.0},
                                     {"tie_word_embeddings", tied}},
                                name);
}

// (sender, receiver) shapes.
std::pair<ModelConfig, ModelConfig> bench_pair() {
  const char* env = std::getenv("KVCHAIN_BENCH_PAIR");
  const std::string name = env != nullptr ? env : "small";
  if (name == "small") return {preset_config("tiny", 2048), preset_config("mini", 2048)};
  if (name == "llama3") {
    return {llama_shape("bench llama3-8b", 4096, 14336, 32, 32, false),
            llama_shape("bench llama3.2-3b", 3072, 8192, 28, 24, true)};
  }
  throw Error("KVCHAIN_BENCH_PAIR: unknown pair '" + name + "' (small, llama3)");
}

struct Pair {
  ModelConfig sender, receiver;
  std::shared_ptr<LlamaForCausalLM> receiver_model;
  std::unique_ptr<KVSpaceAdapter> from, to;
};

Pair& pair() {
  static Pair* built = [] {
    torch::NoGradGuard no_grad;
    auto [sender, receiver] = bench_pair();
    auto* p = new Pair{sender, receiver, std::make_shared<LlamaForCausalLM>(receiver), {}, {}};
    p->receiver_model->to(bench::bench_device(), bench::bench_dtype());
    bench::random_weights_in_place(*p->receiver_model, 1);
    p->receiver_model->eval();
    const auto shared = std::max(sender.num_key_value_heads * sender.head_dim,
                                 receiver.num_key_value_heads * receiver.head_dim);
    p->from = std::make_unique<KVSpaceAdapter>(sender, shared, 1);
    p->to = std::make_unique<KVSpaceAdapter>(receiver, shared, 2);
    p->from->to(bench::bench_device(), bench::bench_dtype());
    p->to->to(bench::bench_device(), bench::bench_dtype());
    return p;
  }();
  return *built;
}

// A sender's cache of `tokens` random keys and values (what its prefill would have left).
KVCache sender_cache(int64_t tokens) {
  auto& p = pair();
  const auto options =
      torch::TensorOptions().device(bench::bench_device()).dtype(bench::bench_dtype());
  KVCache cache(p.sender, 1, options, tokens);
  std::vector<torch::Tensor> keys, values;
  for (int64_t l = 0; l < p.sender.num_hidden_layers; ++l) {
    keys.push_back(
        torch::randn({1, p.sender.num_key_value_heads, tokens, p.sender.head_dim}, options));
    values.push_back(torch::randn_like(keys.back()));
  }
  std::vector<int64_t> positions(static_cast<size_t>(tokens));
  for (int64_t i = 0; i < tokens; ++i) positions[static_cast<size_t>(i)] = i;
  cache.append(keys, values, positions, {"A", SegmentRole::kOutput});
  return cache;
}

void BM_TranslateCache(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  auto& p = pair();
  const auto tokens = state.range(0);
  const auto source = sender_cache(tokens);
  CacheTranslation translation(p.sender, *p.from, p.receiver, *p.to);
  auto target = p.receiver_model->make_cache(1, tokens);
  const auto seconds = bench::time_iterations(
      state, [&] { translation.translate(source, target); },
      [&] { target = p.receiver_model->make_cache(1, tokens); });
  const auto bytes = target.bytes_used();
  const auto median = bench::median(seconds);
  state.counters["median_ms"] = median * 1e3;
  state.counters["us_per_token_layer"] = median * 1e6 / (tokens * p.receiver.num_hidden_layers);
  state.counters["sender_kv_MB"] = static_cast<double>(source.bytes_used()) / 1e6;
  state.counters["receiver_kv_MB"] = static_cast<double>(bytes) / 1e6;
}

// The receiver's own prefill of the same number of tokens (no logits: only its cache matters).
void BM_ReceiverPrefill(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  auto& p = pair();
  const auto tokens = state.range(0);
  const auto device = bench::bench_device();
  const auto ids = torch::randint(0, p.receiver.vocab_size, {1, tokens},
                                  torch::TensorOptions().dtype(torch::kInt64).device(device));
  auto cache = p.receiver_model->make_cache(1, tokens);
  ForwardArgs args;
  args.input_ids = ids;
  args.cache = &cache;
  args.hidden_only = true;
  const auto seconds = bench::time_iterations(
      state, [&] { p.receiver_model->forward(args); },
      [&] { cache = p.receiver_model->make_cache(1, tokens); });
  const auto median = bench::median(seconds);
  state.counters["median_ms"] = median * 1e3;
  state.counters["us_per_token_layer"] = median * 1e6 / (tokens * p.receiver.num_hidden_layers);
}

BENCHMARK(BM_TranslateCache)
    ->Arg(500)
    ->Arg(3000)
    ->ArgName("tokens")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReceiverPrefill)
    ->Arg(500)
    ->Arg(3000)
    ->ArgName("tokens")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvchain

BENCHMARK_MAIN();
