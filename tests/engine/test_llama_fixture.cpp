// The engine against transformers' own outputs for the tiny-llama fixture (float32).
#include <gtest/gtest.h>

#include "engine/generation/greedy.h"
#include "engine/model/checkpoint.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

constexpr double kTolerance = 1e-4;

class TinyLlamaFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    reference_ = new Json(read_json_file(test::tiny_llama_dir() + "/reference.json"));
  }
  static void TearDownTestSuite() {
    delete reference_;
    reference_ = nullptr;
  }
  void SetUp() override {
    model_ = load_model(test::tiny_llama_dir(), test::test_device(), torch::kFloat32);
    model_->eval();
    ids_ = test::json_tensor((*reference_)["input_ids"], torch::kInt64);
  }
  const Json& ref(const char* key) const { return (*reference_)[key]; }

  static Json* reference_;
  std::shared_ptr<LlamaForCausalLM> model_;
  torch::Tensor ids_;
  torch::NoGradGuard no_grad_;
};
Json* TinyLlamaFixture::reference_ = nullptr;

TEST_F(TinyLlamaFixture, LogitsMatchTransformers) {
  ForwardArgs args;
  args.input_ids = ids_;
  auto logits = model_->forward(args).logits;
  EXPECT_LT(test::max_abs_diff(logits, test::json_tensor(ref("logits"))), kTolerance);
}

TEST_F(TinyLlamaFixture, LayerZeroKeysAndValuesMatchTransformers) {
  auto cache = model_->make_cache(ids_.size(0));
  ForwardArgs args;
  args.input_ids = ids_;
  args.cache = &cache;
  model_->forward(args);
  auto keys = test::json_tensor(ref("layer0_keys"));
  EXPECT_EQ(keys.sizes().vec(), ref("layer0_keys_shape").get<std::vector<int64_t>>());
  EXPECT_EQ(cache.keys(0).sizes(), keys.sizes());
  EXPECT_LT(test::max_abs_diff(cache.keys(0), keys), kTolerance);
  EXPECT_LT(test::max_abs_diff(cache.values(0), test::json_tensor(ref("layer0_values"))),
            kTolerance);
}

TEST_F(TinyLlamaFixture, ShiftedPositionIdsMatchTransformers) {
  ForwardArgs args;
  args.input_ids = ids_;
  args.position_ids = torch::arange(1000, 1000 + ids_.size(1)).unsqueeze(0).expand_as(ids_);
  auto logits = model_->forward(args).logits;
  auto expected = test::json_tensor(ref("logits_positions_plus_1000"));
  EXPECT_LT(test::max_abs_diff(logits, expected), kTolerance);
}

TEST_F(TinyLlamaFixture, PositionIdsReachTheKeysAndNonUniformGapsChangeLogits) {
  // RoPE is relative, so a uniform shift leaves logits alone (above) but not the cached keys.
  auto cache = model_->make_cache(ids_.size(0));
  ForwardArgs shifted;
  shifted.input_ids = ids_;
  shifted.position_ids = torch::arange(1000, 1000 + ids_.size(1)).unsqueeze(0).expand_as(ids_);
  shifted.cache = &cache;
  model_->forward(shifted);
  EXPECT_GT(test::max_abs_diff(cache.keys(0), test::json_tensor(ref("layer0_keys"))), 1e-2);
  EXPECT_EQ(cache.next_position(), 1000 + ids_.size(1));

  ForwardArgs gap;
  gap.input_ids = ids_;
  auto positions = torch::arange(ids_.size(1));
  positions.narrow(0, 12, ids_.size(1) - 12).add_(50);
  gap.position_ids = positions.unsqueeze(0).expand_as(ids_);
  EXPECT_GT(test::max_abs_diff(model_->forward(gap).logits, test::json_tensor(ref("logits"))),
            1e-3);
}

TEST_F(TinyLlamaFixture, IncrementalDecodingMatchesTransformers) {
  const int64_t from = ref("incremental_from").get<int64_t>();
  auto expected = test::json_tensor(ref("incremental_last_logits"));
  auto cache = model_->make_cache(ids_.size(0));
  ForwardArgs prefill;
  prefill.input_ids = ids_.narrow(1, 0, from);
  prefill.cache = &cache;
  auto logits = model_->forward(prefill).logits;
  ASSERT_EQ(expected.size(0), ids_.size(1) - from);
  for (int64_t t = from; t < ids_.size(1); ++t) {
    ForwardArgs step;
    step.input_ids = ids_.narrow(1, t, 1);
    step.cache = &cache;
    logits = model_->forward(step).logits;
    EXPECT_LT(test::max_abs_diff(logits.select(1, 0), expected[t - from]), kTolerance)
        << "step " << t;
  }
  EXPECT_EQ(cache.size(), ids_.size(1));
}

TEST_F(TinyLlamaFixture, GreedyGenerationMatchesTransformers) {
  auto prompt = test::json_tensor(ref("greedy_prompt"), torch::kInt64);
  auto full = test::json_tensor(ref("greedy_output"), torch::kInt64);
  const int64_t new_tokens = full.size(1) - prompt.size(1);
  auto cache = model_->make_cache(1, full.size(1), KVCache::Layout::kStatic);
  ForwardArgs prefill;
  prefill.input_ids = prompt;
  GenerationOptions options;
  options.max_new_tokens = new_tokens;
  options.eos_token_ids = model_->config().eos_token_ids;
  auto result = generate_greedy(*model_, cache, prefill, options, nullptr, {});
  auto expected = full.narrow(1, prompt.size(1), new_tokens).view({-1});
  EXPECT_EQ(torch::tensor(result.tokens, torch::kInt64).equal(expected), true);
  EXPECT_EQ(result.stop_reason, StopReason::kMaxTokens);
}

TEST_F(TinyLlamaFixture, ExplicitMasksMatchTheDefaultCausalMask) {
  const auto t = ids_.size(1);
  ForwardArgs plain;
  plain.input_ids = ids_;
  auto expected = model_->forward(plain).logits;

  auto causal = torch::ones({t, t}, torch::kBool).tril().view({1, 1, t, t});
  ForwardArgs boolean = plain;
  boolean.attention_mask = causal;
  EXPECT_LT(test::max_abs_diff(model_->forward(boolean).logits, expected), 1e-5);

  ForwardArgs additive = plain;
  additive.attention_mask = torch::zeros({1, 1, t, t}).masked_fill(causal.logical_not(), -1e9);
  EXPECT_LT(test::max_abs_diff(model_->forward(additive).logits, expected), 1e-5);

  // A mask that hides token 0 from everyone after it changes later logits.
  auto hidden = causal.clone();
  hidden.index_put_({0, 0, torch::indexing::Slice(1), 0}, false);
  ForwardArgs masked = plain;
  masked.attention_mask = hidden;
  EXPECT_GT(test::max_abs_diff(model_->forward(masked).logits.narrow(1, 1, t - 1),
                               expected.narrow(1, 1, t - 1)),
            1e-3);
}

TEST_F(TinyLlamaFixture, InputEmbeddingsEqualTokenIds) {
  ForwardArgs by_ids;
  by_ids.input_ids = ids_;
  ForwardArgs by_embeds;
  by_embeds.inputs_embeds = model_->embed(ids_);
  EXPECT_LT(test::max_abs_diff(model_->forward(by_ids).logits, model_->forward(by_embeds).logits),
            1e-6);
}

TEST_F(TinyLlamaFixture, RejectsMasksOfTheWrongShape) {
  ForwardArgs args;
  args.input_ids = ids_;
  // Three rows of mask (the first three tokens) must cover three keys without a cache.
  args.attention_mask = torch::ones({1, 1, 3, 5}, torch::kBool);
  try {
    model_->forward(args);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("attention_mask has shape [1, 1, 3, 5], expected ["),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("|1, 3, 3]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kvchain
