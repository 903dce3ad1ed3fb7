// Greedy generation's stopping rules, on the fixture model and tokenizer.
#include <gtest/gtest.h>

#include "engine/generation/greedy.h"
#include "engine/model/checkpoint.h"
#include "tests/test_support.h"

namespace kvchain {
namespace {

class GenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(test::tiny_llama_dir(), test::test_device(), torch::kFloat32);
    tokenizer_ = std::make_unique<BpeTokenizer>(
        BpeTokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json"));
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
  std::unique_ptr<BpeTokenizer> tokenizer_;
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

}  // namespace
}  // namespace kvchain
