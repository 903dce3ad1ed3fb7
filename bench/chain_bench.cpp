// Member B of a chain A -> B, in text and shared (FTHSS) mode, and the KV memory of multi-round
// chains, through the product's ChainRunner on a random-weight Llama (the paper's Table 5); and
// whole chains' throughput at evaluation batch sizes through BatchRunner.
// KVCHAIN_BENCH_MODEL picks the shape: embedded (data/base's, default), 100m, or llama3-8b;
// KVCHAIN_BENCH_DEVICE and KVCHAIN_BENCH_DTYPE as in bench/bench_env.h. bench/README.md has
// the tables and the commands.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "bench/bench_env.h"
#include "bench/floors.h"
#include "engine/chain/batch_loss.h"
#include "engine/chain/batch_runner.h"
#include "engine/chain/chain_runner.h"
#include "engine/generation/cuda_graph.h"
#include "engine/io/error.h"
#include "engine/model/attention.h"
#include "engine/model/host_memory.h"
#include "engine/model/model_presets.h"
#include "engine/torch_compat.h"

namespace kvchain {
namespace {

constexpr int64_t kOutputTokens = 16;    // B's answer, as in Table 5
constexpr int64_t kPromptTokens = 100;   // each member's prompt (deep, prefix)
constexpr int64_t kQuestionTokens = 32;  // shared content: the question
constexpr int64_t kInputTokens = 8;      // a member's own input (its tag)

const bench::DeviceRates& device_rates() {
  static const auto rates = bench::measure_rates(bench::bench_device(), bench::bench_dtype());
  return rates;
}

ModelConfig bench_config() {
  const char* env = std::getenv("KVCHAIN_BENCH_MODEL");
  const std::string name = env != nullptr ? env : "embedded";
  if (name == "embedded") return preset_config("tiny", 2048);
  if (name == "100m") return preset_config("base", 32000);
  if (name == "llama3-8b") {
    return ModelConfig::from_json(Json{{"model_type", "llama"},
                                       {"vocab_size", 128256},
                                       {"hidden_size", 4096},
                                       {"intermediate_size", 14336},
                                       {"num_hidden_layers", 32},
                                       {"num_attention_heads", 32},
                                       {"num_key_value_heads", 8},
                                       {"max_position_embeddings", 8192},
                                       {"rope_theta", 500000.0}},
                                  "bench llama3-8b");
  }
  throw Error("KVCHAIN_BENCH_MODEL: unknown model '" + name + "' (embedded, 100m, llama3-8b)");
}

// The frozen base and members M0..M4, each with a random 100-token deep prompt.
ChainModel& chain() {
  static ChainModel* model = [] {
    torch::NoGradGuard no_grad;
    auto base = std::make_shared<LlamaForCausalLM>(bench_config());
    base->to(bench::bench_device(), bench::bench_dtype());
    bench::random_weights_in_place(*base, 1);
    base->eval();
    auto* built = new ChainModel(base);
    for (int m = 0; m < 5; ++m) {
      AdapterConfig config;
      config.kind = AdapterKind::kPrefix;
      config.num_virtual_tokens = kPromptTokens;
      auto adapter = std::make_shared<Adapter>(config, base->config());
      adapter->table().normal_(0, 0.02);
      adapter->to(base->device(), bench::bench_dtype());
      built->set_adapter("M" + std::to_string(m), adapter);
    }
    return built;
  }();
  return *model;
}

const bench::Roofline& roofline() {
  static const bench::Roofline line(chain().base().config(),
                                    static_cast<int64_t>(c10::elementSize(bench::bench_dtype())),
                                    device_rates());
  return line;
}

// Every timed turn of B, per (mode, intermediate length), for the summary table at the end.
struct MemberBSamples {
  std::vector<double> total, decode_per_token;
  double floor_total = 0, floor_decode_per_token = 0;
};
std::map<std::pair<bool, int64_t>, MemberBSamples>& member_b_samples() {
  static std::map<std::pair<bool, int64_t>, MemberBSamples> samples;
  return samples;
}

std::vector<int64_t> random_ids(int64_t n) {
  const auto ids = torch::randint(3, chain().base().config().vocab_size, {n}, torch::kInt64);
  return {ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + n};
}

// A -> B: A's output of `intermediate` tokens is replayed (not decoded), then B answers in 16
// tokens. Time per iteration is B's turn alone (its prefill and decode, from the runner).
void BM_MemberB(benchmark::State& state) {
  const auto mode = state.range(0) == 0 ? ChainMode::kText : ChainMode::kShared;
  const int64_t intermediate = state.range(1);
  const auto question = random_ids(kQuestionTokens), a_input = random_ids(kInputTokens),
             a_output = random_ids(intermediate), b_input = random_ids(kInputTokens);
  RunnerOptions options;
  options.mode = mode;
  ChainRunner runner(chain(), nullptr, options);
  double prefill = 0, decode = 0, prefilled = 0, kv = 0;
  auto& samples = member_b_samples()[{mode == ChainMode::kShared, intermediate}];
  const auto run_chain = [&] {
    return runner.run(question, [&](const std::vector<TurnRecord>& done) {
      std::optional<TurnPlan> plan;
      if (done.empty()) {
        plan = TurnPlan{"M0", a_input, 0, true};
        plan->forced_output = a_output;
      } else if (done.size() == 1) {
        // The text chain hands A's output to B as text, which B prefills again.
        auto input = mode == ChainMode::kText ? a_output : std::vector<int64_t>{};
        input.insert(input.end(), b_input.begin(), b_input.end());
        plan = TurnPlan{"M1", input, kOutputTokens, true};
      }
      return plan;
    });
  };
  // Untimed: the first run allocates the caches, records their decode graphs and loads kernels,
  // which a serving process does once.
  run_chain();
  const int64_t forms_before = runner.steps().forms();
  double prefill_max = 0;
  for (auto _ : state) {
    const auto turns = run_chain();
    const auto& b = turns.back();
    if (b.decoded != kOutputTokens) {
      state.SkipWithError("member B stopped before its 16 tokens");
      return;
    }
    state.SetIterationTime(b.prefill_seconds + b.decode_seconds);
    prefill += b.prefill_seconds;
    prefill_max = std::max(prefill_max, b.prefill_seconds);
    decode += b.decode_seconds;
    prefilled = static_cast<double>(b.prefilled);
    kv = static_cast<double>(b.kv_bytes_allocated);
    samples.total.push_back(b.prefill_seconds + b.decode_seconds);
    samples.decode_per_token.push_back(b.decode_seconds / (kOutputTokens - 1));
  }
  // B's floors: its prefill after what its cache held before (its deep prompt; with FTHSS also
  // A's whole context), then 15 decode steps (the first token comes from the prefill).
  const int64_t past = mode == ChainMode::kText
                           ? kPromptTokens
                           : kQuestionTokens + 2 * kPromptTokens + kInputTokens + intermediate;
  const auto tokens = static_cast<int64_t>(prefilled);
  const auto& floors = roofline();
  samples.floor_decode_per_token = floors.decode_seconds(past + tokens + kOutputTokens / 2);
  samples.floor_total =
      floors.prefill_seconds(tokens, past) + (kOutputTokens - 1) * samples.floor_decode_per_token;
  const auto per_iteration = benchmark::Counter::kAvgIterations;
  state.counters["prefill_ms"] = benchmark::Counter(1e3 * prefill, per_iteration);
  state.counters["decode_ms_per_token"] =
      benchmark::Counter(1e3 * decode / (kOutputTokens - 1), per_iteration);
  state.counters["B_prefilled_tokens"] = prefilled;
  state.counters["kv_MB_allocated"] = kv / (1024.0 * 1024.0);
  state.counters["floor_ms"] = 1e3 * samples.floor_total;
  state.counters["decode_floor_ms_per_token"] = 1e3 * samples.floor_decode_per_token;
  // The slowest timed prefill, and the step forms (on a GPU, graph recordings) set up while timed:
  // 0 unless a cache changed storage or capacity between iterations.
  state.counters["prefill_ms_max"] = 1e3 * prefill_max;
  state.counters["forms_timed"] = static_cast<double>(runner.steps().forms() - forms_before);
  // How far the CUDA graphs' first replays were from their eager warm-ups (check_replay).
  state.counters["replay_vs_eager"] = runner.steps().largest_replay_difference();
}

void member_b_args(benchmark::internal::Benchmark* b) {
  for (const int64_t mode : {0, 1}) {
    for (const int64_t tokens : {250, 500, 1000, 3000, 8000}) b->Args({mode, tokens});
  }
  b->ArgNames({"shared", "intermediate"});
}
BENCHMARK(BM_MemberB)->Apply(member_b_args)->UseManualTime()->Unit(benchmark::kMillisecond);

// Whole chains A -> B as an evaluation runs them: `examples` examples, each A's output of
// `intermediate` tokens replayed, then B's 16-token answer, `batch` at a time (batch 1: the
// one-example runner and its CUDA graphs, as `kvchain chain --batch-size 1`). Time per
// iteration is the whole set's; the floor is every example's prefill FLOPs at the matmul rate
// plus B's decode steps, each reading the weights once for its rows and each row's cache.
void BM_ChainThroughput(benchmark::State& state) {
  const auto mode = state.range(0) == 0 ? ChainMode::kText : ChainMode::kShared;
  const int64_t intermediate = state.range(1), batch = state.range(2);
  const int64_t examples = std::max<int64_t>(2 * batch, 16);
  std::vector<std::vector<int64_t>> outputs;
  for (int64_t i = 0; i < examples; ++i) outputs.push_back(random_ids(intermediate));
  const auto question = random_ids(kQuestionTokens), a_input = random_ids(kInputTokens),
             b_input = random_ids(kInputTokens);
  RunnerOptions options;
  options.mode = mode;
  const auto planner = [&](int64_t i) {
    return [&, i](const std::vector<TurnRecord>& done) {
      std::optional<TurnPlan> plan;
      if (done.empty()) {
        plan = TurnPlan{"M0", a_input, 0, true};
        plan->forced_output = outputs[i];
      } else if (done.size() == 1) {
        auto input = mode == ChainMode::kText ? outputs[i] : std::vector<int64_t>{};
        input.insert(input.end(), b_input.begin(), b_input.end());
        plan = TurnPlan{"M1", input, kOutputTokens, true};
      }
      return plan;
    };
  };
  ChainRunner one(chain(), nullptr, options);
  BatchRunner many(chain(), nullptr, options, batch);
  int64_t decoded = 0;
  const auto run_all = [&] {
    decoded = 0;
    if (batch == 1) {
      for (int64_t i = 0; i < examples; ++i)
        decoded += one.run(question, planner(i)).back().decoded;
      return;
    }
    many.run(
        static_cast<size_t>(examples),
        [&](size_t i) {
          return BatchRunner::Example{question, planner(static_cast<int64_t>(i))};
        },
        [&](size_t, std::vector<TurnRecord> turns) { decoded += turns.back().decoded; });
  };
  run_all();  // untimed: allocations, graph recordings, kernel loading
  bool complete = true;
  const auto times = bench::time_iterations(state, [&] {
    run_all();
    complete = complete && decoded == examples * kOutputTokens;
  });
  if (!complete) {
    state.SkipWithError("member B stopped before its 16 tokens");
    return;
  }
  // Floors: A's prefill (its prompt, the question, its input and replayed output), B's prefill
  // (text: the question, its prompt, A's output and its input, from an empty cache; FTHSS: its
  // prompt and input after A's context), and B's 15 decode steps per batch of rows.
  const auto& floors = roofline();
  const int64_t a_tokens = kQuestionTokens + kInputTokens + intermediate;
  const int64_t b_tokens =
      mode == ChainMode::kText ? kQuestionTokens + intermediate + kInputTokens : kInputTokens;
  const int64_t b_past = mode == ChainMode::kText ? kPromptTokens : 2 * kPromptTokens + a_tokens;
  const double prefill_flops =
      floors.prefill_flops(a_tokens, kPromptTokens) + floors.prefill_flops(b_tokens, b_past);
  const double batches = std::ceil(static_cast<double>(examples) / static_cast<double>(batch));
  const double floor =
      examples * prefill_flops / device_rates().flops_per_second +
      batches * (kOutputTokens - 1) *
          floors.batch_decode_seconds(batch, b_past + b_tokens + kOutputTokens / 2);
  const double median = bench::median(times);
  state.counters["examples_per_s"] = examples / median;
  state.counters["floor_examples_per_s"] = examples / floor;
  state.counters["x_floor"] = median / floor;
  state.counters["examples"] = static_cast<double>(examples);
}

void throughput_args(benchmark::internal::Benchmark* b) {
  for (const int64_t mode : {0, 1}) {
    for (const int64_t tokens : {500, 3000}) {
      for (const int64_t batch : {1, 8, 32, 64}) b->Args({mode, tokens, batch});
    }
  }
  b->ArgNames({"shared", "intermediate", "batch"});
}
BENCHMARK(BM_ChainThroughput)
    ->Apply(throughput_args)
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

// One optimizer step's forward and backward of an FTHSS member B (its soft prompt trained, the
// base frozen) on `rows` training sequences of 1,224 tokens (the paper's length): A's part
// (question, prompt, input, output), then B's (prompt, input, a 64-token answer with the loss).
// MFU counts 4 FLOPs per base weight per token (the forward's 2, and the backward's 2 for the
// activations' gradients; a frozen weight gets none) plus attention's, against the matmul rate
// measured now; the logits count at the answer's positions, the only ones training projects.
void BM_TrainStep(benchmark::State& state) {
  const int64_t rows = state.range(0);
  constexpr int64_t kSequence = 1224, kAnswer = 64;
  auto& model = chain();
  for (auto& p : model.base().parameters()) p.requires_grad_(false);
  auto& prompt = model.adapter("M1");
  for (auto& p : prompt.parameters()) p.requires_grad_(true);
  const int64_t a_output =
      kSequence - 2 * kPromptTokens - kQuestionTokens - 2 * kInputTokens - kAnswer;
  std::vector<std::vector<LayoutPart>> sequences;
  for (int64_t i = 0; i < rows; ++i) {
    sequences.push_back(
        {LayoutPart::tokens({"", SegmentRole::kShared}, random_ids(kQuestionTokens)),
         LayoutPart::prompt("M0"),
         LayoutPart::tokens({"M0", SegmentRole::kInput}, random_ids(kInputTokens)),
         LayoutPart::output("M0", random_ids(a_output), 2, false), LayoutPart::prompt("M1"),
         LayoutPart::tokens({"M1", SegmentRole::kInput}, random_ids(kInputTokens)),
         LayoutPart::output("M1", random_ids(kAnswer), 2, true)});
  }
  std::vector<LossExample> examples;
  for (const auto& parts : sequences) examples.push_back({&parts, nullptr});
  const auto step = [&] {
    torch::Tensor total;
    for (const auto& result : batch_losses(model, examples)) {
      total = total.defined() ? total + result.loss : result.loss;
    }
    total.backward();
    for (auto& p : prompt.parameters()) p.mutable_grad() = torch::Tensor();
  };
  step();  // untimed warm-up
  const auto times = bench::time_iterations(state, step);
  // The deep prompts' slots are keys, not tokens through the model.
  const int64_t tokens = rows * (kSequence - 2 * kPromptTokens);
  const auto& config = model.base().config();
  const int64_t through = kSequence - 2 * kPromptTokens;
  const double vocabulary = 2.0 * static_cast<double>(config.vocab_size) * config.hidden_size;
  const double flops =
      2.0 * rows *
      (roofline().prefill_flops(through, 2 * kPromptTokens) + vocabulary * (kAnswer - 1));
  const double median = bench::median(times);
  state.counters["tokens_per_s"] = tokens / median;
  state.counters["mfu"] = flops / median / device_rates().flops_per_second;
}
BENCHMARK(BM_TrainStep)
    ->Arg(1)
    ->Arg(4)
    ->Arg(8)
    ->ArgNames({"rows"})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// A multi-round chain of `members` members whose whole sequence is 1,000 tokens (question,
// then turns of 8 input and replayed output tokens), in text or shared mode: the KV bytes the
// runner holds at the end, measured on its cache tensors, next to the formula's.
void BM_KvMemory(benchmark::State& state) {
  const auto mode = state.range(0) == 0 ? ChainMode::kText : ChainMode::kShared;
  const int64_t members = state.range(1);
  constexpr int64_t kTotal = 1000, kTurns = 10;
  const int64_t output = (kTotal - kQuestionTokens) / kTurns - kInputTokens;
  const auto question = random_ids(kQuestionTokens);
  RunnerOptions options;
  options.mode = mode;
  for (int64_t m = 0; m < members; ++m) options.prompts_first.push_back("M" + std::to_string(m));
  ChainRunner runner(chain(), nullptr, options);
  TurnRecord last;
  for (auto _ : state) {
    // Text mode hands each member the whole transcript so far; shared mode only its own tag.
    std::vector<int64_t> transcript;
    const auto turns = runner.run(question, [&](const std::vector<TurnRecord>& done) {
      std::optional<TurnPlan> plan;
      if (static_cast<int64_t>(done.size()) == kTurns) return plan;
      if (!done.empty()) {
        transcript.insert(transcript.end(), done.back().output_ids.begin(),
                          done.back().output_ids.end());
      }
      auto input = mode == ChainMode::kText ? transcript : std::vector<int64_t>{};
      const auto own = random_ids(kInputTokens);
      input.insert(input.end(), own.begin(), own.end());
      transcript.insert(transcript.end(), own.begin(), own.end());
      plan = TurnPlan{"M" + std::to_string(done.size() % members), input, 0, false};
      plan->forced_output = random_ids(output);
      return plan;
    });
    last = turns.back();
  }
  const auto& config = chain().base().config();
  const int64_t element = static_cast<int64_t>(c10::elementSize(bench::bench_dtype()));
  // Each member's cache holds the sequence (and its prompt) in text mode; shared mode one copy.
  const int64_t copies = mode == ChainMode::kText ? members : 1;
  state.counters["kv_MB_allocated"] = last.kv_bytes_allocated / (1024.0 * 1024.0);
  state.counters["kv_MB_slots"] = last.kv_bytes_resident / (1024.0 * 1024.0);
  state.counters["kv_MB_formula_1000_tokens"] =
      copies * kTotal * config.kv_bytes_per_token(element) / (1024.0 * 1024.0);
}

void kv_args(benchmark::internal::Benchmark* b) {
  for (const int64_t mode : {0, 1}) {
    for (const int64_t members : {1, 2, 3, 5}) b->Args({mode, members});
  }
  b->ArgNames({"shared", "members"});
}
BENCHMARK(BM_KvMemory)->Apply(kv_args)->Iterations(1)->Unit(benchmark::kMillisecond);

// Runs `step` once per iteration, replayed as one CUDA graph where the device has them (else
// eagerly), with its time as the iteration's manual time; returns those times.
std::vector<double> time_step(benchmark::State& state, const std::function<void()>& step) {
  const auto device = bench::bench_device();
  CudaGraph graph;
  const bool replay = device.is_cuda() && CudaGraph::available();
  if (replay) graph.capture(step);
  return bench::time_iterations(state, [&] { replay ? graph.replay() : step(); });
}

// The weight matmuls of one decode step alone (every projection of every layer and the
// vocabulary's, for one token), as one CUDA graph on a GPU: what a step would cost if norms,
// RoPE, attention and residuals were free. Next to BM_MemberB's decode it says how much of a
// step is reading weights and how much is the other kernels. Projections the model stacks
// (StackedLinear: rows of one matrix after the member's turns) are one matmul here too.
void BM_DecodeMatmulsOnly(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  auto& model = chain().base();
  std::vector<torch::Tensor> weights, inputs;
  for (const auto& item : model.named_parameters()) {
    const auto& w = item.value();
    if (w.dim() != 2 || item.key().find("embed_tokens") != std::string::npos) continue;
    if (!weights.empty()) {
      auto& last = weights.back();
      const auto* end = static_cast<const char*>(last.data_ptr()) + last.nbytes();
      if (w.size(1) == last.size(1) && w.is_alias_of(last) && w.data_ptr() == end) {
        last = last.as_strided({last.size(0) + w.size(0), w.size(1)}, {w.size(1), 1});
        continue;
      }
    }
    weights.push_back(w);
  }
  for (const auto& w : weights) inputs.push_back(torch::randn({1, w.size(1)}, w.options()));
  const auto step = [&] {
    for (size_t i = 0; i < weights.size(); ++i)
      torch::nn::functional::linear(inputs[i], weights[i]);
  };
  time_step(state, step);
  state.counters["weights_floor_ms"] = 1e3 * roofline().decode_seconds(0);
}
BENCHMARK(BM_DecodeMatmulsOnly)->UseManualTime()->Unit(benchmark::kMillisecond);

// The attention of every layer of one step of B over a cache of `context` tokens, as one CUDA
// graph: `tokens` new tokens (1: a decode step; 8: FTHSS's prefill of B's input) under a mask
// that hides A's 100-token prompt, by few_query_attention (path 0) or libtorch's SDPA (path 1):
// the measurements behind LlamaAttention::attend's choice. Each layer reads its own keys and
// values, so the cache comes from memory as in the model. GPU only.
void BM_LayerAttention(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  const int64_t context = state.range(0), tokens = state.range(1);
  const bool sdpa = state.range(2) == 1;
  const auto device = bench::bench_device();
  if (!device.is_cuda() || !CudaGraph::available()) {
    state.SkipWithError("a GPU benchmark (KVCHAIN_BENCH_DEVICE=cuda)");
    return;
  }
  const auto& config = chain().base().config();
  const auto options = torch::TensorOptions().device(device).dtype(bench::bench_dtype());
  const auto layers = config.num_hidden_layers, d = config.head_dim;
  auto q = torch::randn({1, config.num_attention_heads, tokens, d}, options);
  std::vector<torch::Tensor> keys, values;
  for (int64_t i = 0; i < layers; ++i) {
    keys.push_back(torch::randn({1, config.num_key_value_heads, context, d}, options));
    values.push_back(torch::randn({1, config.num_key_value_heads, context, d}, options));
  }
  auto mask = compat::causal_bias(tokens, context, context - tokens, options);
  mask.narrow(1, 0, kPromptTokens).fill_(-INFINITY);
  mask = mask.view({1, 1, tokens, context});
  const auto step = [&] {
    for (int64_t i = 0; i < layers; ++i) {
      sdpa ? compat::attention(q, keys[i], values[i], mask, false)
           : few_query_attention(q, keys[i], values[i], mask);
    }
  };
  const auto times = time_step(state, step);
  const double layer_bytes = 2.0 * keys[0].nbytes();
  state.counters["us_per_layer"] = 1e6 * bench::median(times) / layers;
  state.counters["kv_floor_us_per_layer"] = 1e6 * layer_bytes / device_rates().bytes_per_second;
}
BENCHMARK(BM_LayerAttention)
    ->ArgsProduct({{250, 1000, 3000, 8000}, {1, 8}, {0, 1}})
    ->ArgNames({"context", "tokens", "sdpa"})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// Table 5 from every iteration the run timed: each mode against its floor, and the measured
// text/FTHSS ratio against the one the floors predict.
void print_member_b_table() {
  const auto& samples = member_b_samples();
  if (samples.empty()) return;
  const auto& rates = device_rates();
  std::printf(
      "\nMember B, medians over all timed iterations; device: %s, %.0f GB/s copy, %.1f "
      "TFLOP/s matmul (measured now)\n",
      bench::bench_device().str().c_str(), rates.bytes_per_second / 1e9,
      rates.flops_per_second / 1e12);
  std::printf(
      "| intermediate | text ms | floor | x floor | FTHSS ms | floor | x floor | "
      "text/FTHSS | ideal | decode ms/token text, FTHSS | FTHSS decode floor | worse x floor |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [key, text] : samples) {
    if (key.first) continue;
    const auto shared = samples.find({true, key.second});
    if (shared == samples.end()) continue;
    const auto& fthss = shared->second;
    const double t = bench::median(text.total), f = bench::median(fthss.total);
    const double dt = bench::median(text.decode_per_token),
                 df = bench::median(fthss.decode_per_token);
    std::printf(
        "| %lld | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f, %.2f | "
        "%.2f | %.2f |\n",
        static_cast<long long>(key.second), 1e3 * t, 1e3 * text.floor_total, t / text.floor_total,
        1e3 * f, 1e3 * fthss.floor_total, f / fthss.floor_total, t / f,
        text.floor_total / fthss.floor_total, 1e3 * dt, 1e3 * df,
        1e3 * fthss.floor_decode_per_token,
        std::max(dt / text.floor_decode_per_token, df / fthss.floor_decode_per_token));
  }
}

}  // namespace
}  // namespace kvchain

int main(int argc, char** argv) {
  kvchain::keep_freed_host_memory();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  kvchain::print_member_b_table();
  return 0;
}
