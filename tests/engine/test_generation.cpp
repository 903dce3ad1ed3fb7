// Greedy generation's stopping rules and the shape-stable decode step, on the fixture model and
// tokenizer.
#include <gtest/gtest.h>

#include "engine/generation/greedy.h"
#include "engine/generation/shape_stable_steps.h"
#include "engine/io/error.h"
#include "engine/model/checkpoint.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

// The same slots, positions, keys and values (within float32 rounding) in both caches.
void expect_same_cache(const KVCache& actual, const KVCache& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  EXPECT_EQ(actual.positions(), expected.positions());
  for (int64_t layer = 0; layer < expected.num_layers(); ++layer) {
    EXPECT_TRUE(torch::allclose(actual.keys(layer), expected.keys(layer), 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(actual.values(layer), expected.values(layer), 1e-4, 1e-5));
  }
}

class GenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(test::tiny_llama_dir(), test::test_device(), torch::kFloat32);
    tokenizer_ = std::make_unique<Tokenizer>(
        Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json"));
  }
  GenerationResult run(const GenerationOptions& options) {
    auto cache = model_->make_cache(1);
    ForwardArgs prefill;
    prefill.input_ids = torch::tensor(tokenizer_->encode("FTHSS shares KV hidden states"))
                            .view({1, -1})
                            .to(model_->device());
    return generate_greedy(*model_, cache, prefill, options, tokenizer_.get(),
                           {"A", SegmentRole::kOutput});
  }
  std::shared_ptr<LlamaForCausalLM> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(GenerationTest, StopsAtMaxNewTokens) {
  GenerationOptions options;
  options.max_new_tokens = 16;
  auto result = run(options);
  EXPECT_EQ(result.tokens.size(), 16u);
  EXPECT_EQ(result.stop_reason, StopReason::kMaxTokens);
  EXPECT_EQ(result.text, tokenizer_->decode(result.tokens));
}

TEST_F(GenerationTest, StopsAtEosAndHidesIt) {
  GenerationOptions options;
  options.max_new_tokens = 16;
  auto full = run(options);
  const int64_t eos = full.tokens[5];
  const auto first = std::find(full.tokens.begin(), full.tokens.end(), eos) - full.tokens.begin();
  options.eos_token_ids = {eos};
  auto result = run(options);
  EXPECT_EQ(result.stop_reason, StopReason::kEos);
  EXPECT_EQ(static_cast<int64_t>(result.tokens.size()), first + 1);
  EXPECT_EQ(result.text, tokenizer_->decode(std::vector<int64_t>(full.tokens.begin(),
                                                                 full.tokens.begin() + first)));
}

TEST_F(GenerationTest, StopsAtStopStringAndCutsBeforeIt) {
  GenerationOptions options;
  options.max_new_tokens = 16;
  auto full = run(options);
  ASSERT_GE(full.text.size(), 8u);
  const auto stop = full.text.substr(full.text.size() / 2, 2);
  options.stop_strings = {stop};
  auto result = run(options);
  EXPECT_EQ(result.stop_reason, StopReason::kStopString);
  EXPECT_LT(result.tokens.size(), full.tokens.size());
  EXPECT_EQ(result.text, full.text.substr(0, full.text.find(stop)));
}

TEST_F(GenerationTest, RecordsOutputSegmentInTheCache) {
  auto cache = model_->make_cache(1);
  ForwardArgs prefill;
  prefill.input_ids =
      torch::tensor(tokenizer_->encode("Hello world")).view({1, -1}).to(model_->device());
  prefill.tag = {"", SegmentRole::kShared};
  const int64_t prompt = prefill.input_ids.size(1);
  GenerationOptions options;
  options.max_new_tokens = 6;
  auto result = generate_greedy(*model_, cache, prefill, options, tokenizer_.get(),
                                {"A", SegmentRole::kOutput});
  // The last token is returned but not yet fed back.
  EXPECT_EQ(cache.size(), prompt + 5);
  ASSERT_EQ(cache.segments().size(), 2u);
  EXPECT_EQ(cache.segments()[1].tag.member, "A");
  EXPECT_EQ(cache.segments()[1].end - cache.segments()[1].begin, 5);
}

// The shape-stable decode step (a CUDA graph on a GPU) against the plain incremental forward:
// the same tokens, and the same keys and values in the same slots.
TEST_F(GenerationTest, DecodeStepMatchesTheIncrementalForward) {
  const auto prompt =
      torch::tensor(tokenizer_->encode("Hello world")).view({1, -1}).to(model_->device());
  auto stepped = model_->make_cache(1);
  ForwardArgs prefill;
  prefill.input_ids = prompt;
  GenerationOptions options;
  options.max_new_tokens = 12;
  ShapeStableSteps step(*model_);
  options.steps = &step;
  const auto result =
      generate_greedy(*model_, stepped, prefill, options, nullptr, {"A", SegmentRole::kOutput});

  torch::NoGradGuard no_grad;
  auto plain = model_->make_cache(1);
  ForwardArgs first;
  first.input_ids = prompt;
  first.cache = &plain;
  auto logits = model_->forward(first).logits;
  std::vector<int64_t> tokens;
  for (int64_t i = 0; i < options.max_new_tokens; ++i) {
    tokens.push_back(logits[0][-1].argmax().item<int64_t>());
    if (i + 1 == options.max_new_tokens) break;
    ForwardArgs next;
    next.input_ids = torch::tensor({tokens.back()}).view({1, 1}).to(model_->device());
    next.cache = &plain;
    next.tag = {"A", SegmentRole::kOutput};
    logits = model_->forward(next).logits;
  }
  EXPECT_EQ(result.tokens, tokens);
  expect_same_cache(stepped, plain);
  // A second generation into another cache gives the same tokens: its storage gets fixed
  // buffers (and, on a GPU, a graph) of its own, and every step after the first is replayed.
  auto again = model_->make_cache(1);
  const auto repeat =
      generate_greedy(*model_, again, prefill, options, nullptr, {"A", SegmentRole::kOutput});
  EXPECT_EQ(repeat.tokens, tokens);
  // Both prefills (padded to 8 rows) and every decode step.
  if (model_->device().is_cuda() && CudaGraph::available()) {
    EXPECT_EQ(step.replayed(), 2 * options.max_new_tokens);
  }
}

// A decode step attends as the mask it is given says at every step: when the mask is the last
// step's with the new column added (that column alone is written, shown or hidden), when
// earlier columns change or the mask goes (the row is rebuilt), and on a new step form over an
// empty cache, whose buffers hold nothing a step may see.
TEST_F(GenerationTest, DecodeStepMasksEachStepAsGiven) {
  torch::NoGradGuard no_grad;
  const auto device = model_->device();
  const SegmentTag tag{"A", SegmentRole::kOutput};
  const auto expect_eager = [&](ShapeStableSteps& step, KVCache& plain, int64_t token,
                                const torch::Tensor& mask, const std::string& what) {
    ForwardArgs args;
    args.input_ids = torch::tensor({token}).view({1, 1}).to(device);
    args.attention_mask = mask;
    args.cache = &plain;
    args.tag = tag;
    const auto eager = model_->forward(args).logits[0][-1];
    EXPECT_LT(logits_difference(eager, step.last_logits()), 1e-5) << what;
  };
  auto stepped = model_->make_cache(1), plain = model_->make_cache(1);
  for (auto* cache : {&stepped, &plain}) {
    ForwardArgs prompt;
    prompt.input_ids = torch::arange(3, 9, torch::kInt64).view({1, 6}).to(device);
    prompt.cache = cache;
    model_->forward(prompt);
  }
  ShapeStableSteps step(*model_);
  // The slot each step may not see: a cached one, its own (kOwn), or none and no mask (-1).
  constexpr int64_t kOwn = -2;
  const std::vector<int64_t> hidden = {1, 1, kOwn, 1, -1, 2, 2};
  int64_t token = 11;
  for (size_t i = 0; i < hidden.size(); ++i) {
    torch::Tensor mask;
    if (hidden[i] != -1) {
      mask = torch::ones({1, 1, 1, stepped.size() + 1}, torch::kBool);
      mask[0][0][0][hidden[i] == kOwn ? stepped.size() : hidden[i]] = false;
    }
    const auto next = step.decode(stepped, token, mask, tag);
    expect_eager(step, plain, token, mask, "step " + std::to_string(i));
    token = next;
  }
  auto empty = model_->make_cache(1), empty_plain = model_->make_cache(1);
  ShapeStableSteps first(*model_);
  first.decode(empty, 5, {}, tag);
  expect_eager(first, empty_plain, 5, {}, "the first token of an empty cache");
}

// A chain member's prefill behind a shared cache, as ShapeStableSteps runs it (padded to a bucket
// of rows, at slots of the cache's whole buffers; a CUDA graph on a GPU), against the ordinary
// forward: the same logits, keys, values, positions and segments. Its first rows see only part
// of the cache (as a member that must not see another's prompt), the rest are causal.
TEST_F(GenerationTest, ShortPrefillsMatchTheOrdinaryForward) {
  torch::NoGradGuard no_grad;
  const auto ids = [&](int64_t n, int64_t from) {
    return torch::arange(from, from + n, torch::kInt64).view({1, n}).to(model_->device());
  };
  const SegmentTag prompt{"A", SegmentRole::kPrompt}, input{"B", SegmentRole::kInput};
  ShapeStableSteps step(*model_);
  for (const int64_t tokens : {3, 5, 8, 11, 70}) {
    auto stepped = model_->make_cache(1), plain = model_->make_cache(1);
    for (auto* cache : {&stepped, &plain}) {
      ForwardArgs shared;
      shared.input_ids = ids(6, 30);
      shared.cache = cache;
      shared.tag = prompt;
      model_->forward(shared);
      cache->reserve(cache->size() + ShapeStableSteps::prefill_rows(tokens));
    }
    // Rows 0..2 see neither A's prompt (slots 0..5) nor what follows them; the rest are causal.
    auto mask = torch::zeros({1, 1, 3, 9}, torch::kBool);
    for (int64_t r = 0; r < 3; ++r) mask[0][0][r].narrow(0, 6, r + 1).fill_(true);
    ForwardArgs args;
    args.inputs_embeds = model_->embed(ids(tokens, 50));
    args.position_ids = torch::arange(16, 16 + tokens, torch::kInt64).view({1, tokens});
    args.attention_mask = mask;
    args.tag_spans = {{input, 2}, {{"B", SegmentRole::kOutput}, tokens - 2}};
    args.cache = &stepped;
    const auto token = step.prefill(args);
    args.cache = &plain;
    const auto logits = model_->forward(args).logits[0][-1];
    EXPECT_EQ(token, logits.argmax().item<int64_t>()) << tokens << " tokens";
    if (tokens <= ShapeStableSteps::kMaxPrefillRows) {
      EXPECT_LT(logits_difference(logits, step.last_logits()), 1e-5) << tokens << " tokens";
    }
    expect_same_cache(stepped, plain);
    ASSERT_EQ(stepped.segments().size(), 3u);
    EXPECT_EQ(stepped.segments()[2].tag.role, SegmentRole::kOutput);
    EXPECT_EQ(stepped.segments()[2].end, 6 + tokens);
  }
  EXPECT_EQ(ShapeStableSteps::prefill_rows(5), 8);
  EXPECT_EQ(ShapeStableSteps::prefill_rows(8), 8);
  EXPECT_EQ(ShapeStableSteps::prefill_rows(11), 16);
  EXPECT_EQ(ShapeStableSteps::prefill_rows(70), 70);
  if (model_->device().is_cuda() && CudaGraph::available()) {
    EXPECT_EQ(step.replayed(), 4);
  }
}

// A static cache sized for the prompt and the output alone has no room for the rows a short
// prefill is padded to: that prefill runs as an ordinary forward, with the same tokens.
TEST_F(GenerationTest, AStaticCacheWithoutRoomForPaddingStillGenerates) {
  ForwardArgs prefill;
  prefill.input_ids = torch::arange(1, 6, torch::kInt64).view({1, 5}).to(model_->device());
  GenerationOptions options;
  options.max_new_tokens = 2;
  auto growable = model_->make_cache(1);
  const auto expected =
      generate_greedy(*model_, growable, prefill, options, nullptr, {"A", SegmentRole::kOutput});
  auto exact = model_->make_cache(1, 7, KVCache::Layout::kStatic);
  const auto result =
      generate_greedy(*model_, exact, prefill, options, nullptr, {"A", SegmentRole::kOutput});
  EXPECT_EQ(result.tokens, expected.tokens);
  EXPECT_EQ(exact.capacity(), 7);
  EXPECT_EQ(exact.size(), 6);
}

// The decode step in bfloat16, the GPU's default (a recorded CUDA graph there, with libtorch's
// SDPA over the cache's whole capacity), against the eager incremental forward on the same
// tokens: logits equal within bfloat16 rounding at every step.
TEST(ShapeStableStepsTest, InBfloat16ItFollowsTheEagerForward) {
  auto model = load_model(test::tiny_llama_dir(), test::test_device(), torch::kBFloat16);
  torch::NoGradGuard no_grad;
  const auto prompt = torch::tensor(std::vector<int64_t>{5, 17, 42, 8, 99, 3, 64})
                          .view({1, -1})
                          .to(model->device());
  auto stepped = model->make_cache(1), plain = model->make_cache(1);
  ForwardArgs prefill;
  prefill.input_ids = prompt;
  prefill.cache = &stepped;
  auto token = model->forward(prefill).logits[0][-1].argmax().item<int64_t>();
  prefill.cache = &plain;
  model->forward(prefill);
  ShapeStableSteps step(*model);
  for (int i = 0; i < 10; ++i) {
    const auto next = step.decode(stepped, token, {}, {"A", SegmentRole::kOutput});
    ForwardArgs args;
    args.input_ids = torch::tensor({token}).view({1, 1}).to(model->device());
    args.cache = &plain;
    const auto eager = model->forward(args).logits[0][-1];
    EXPECT_LT(logits_difference(eager, step.last_logits()), 3e-2) << "step " << i;
    token = next;
  }
  if (model->device().is_cuda() && CudaGraph::available()) {
    EXPECT_EQ(step.replayed(), 10);
  }
}

// The guard on a recorded graph's first replay: it lets rounding through and stops a replay
// whose logits are not the eager step's (as a stale input or a wrong slot would give).
TEST(ShapeStableStepsTest, CheckReplayTellsRoundingFromOtherLogits) {
  torch::manual_seed(21);
  const auto eager = torch::randn({4096}) * 3;
  const auto rounded = eager.to(torch::kBFloat16).to(torch::kFloat32);
  EXPECT_EQ(check_replay(eager, eager, torch::kFloat32), 0.0);
  const double rounding = check_replay(eager, rounded, torch::kBFloat16);
  EXPECT_GT(rounding, 0.0);
  EXPECT_LT(rounding, 1e-2);
  // Other logits altogether: another step's, or one logit gone wrong in float32.
  EXPECT_THROW(check_replay(eager, eager.roll(1), torch::kBFloat16), Error);
  auto one_off = eager.clone();
  one_off[7] += 1.0;
  EXPECT_THROW(check_replay(eager, one_off, torch::kFloat32), Error);
  EXPECT_THROW(check_replay(eager, rounded, torch::kFloat32), Error);
}

}  // namespace
}  // namespace kvchain
