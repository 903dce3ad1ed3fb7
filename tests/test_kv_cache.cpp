// KVCache bookkeeping: segments, byte accounting, clone/truncate/extend, static layout, fit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/model/llama_model.h"
#include "tests/test_support.h"

namespace kvchain {
namespace {

using ::testing::HasSubstr;

class KVCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = std::make_shared<LlamaForCausalLM>(
        ModelConfig::from_json(test::small_config_json(), "test"));
    model_->init_random(11);
    model_->eval();
  }
  // Appends `count` tokens to `cache` under `tag` and returns their logits.
  torch::Tensor append(KVCache& cache, int64_t first_id, int64_t count, SegmentTag tag) {
    ForwardArgs args;
    args.input_ids = torch::arange(first_id, first_id + count).view({1, count});
    args.cache = &cache;
    args.tag = std::move(tag);
    return model_->forward(args).logits;
  }
  std::shared_ptr<LlamaForCausalLM> model_;
  torch::NoGradGuard no_grad_;
};

TEST_F(KVCacheTest, RecordsSegmentsAndMergesTokenByTokenOutput) {
  auto cache = model_->make_cache(1);
  append(cache, 3, 5, {"", SegmentRole::kShared});
  append(cache, 10, 2, {"A", SegmentRole::kPrompt});
  append(cache, 20, 1, {"A", SegmentRole::kOutput});
  append(cache, 21, 1, {"A", SegmentRole::kOutput});
  append(cache, 30, 3, {"B", SegmentRole::kInput});
  ASSERT_EQ(cache.segments().size(), 4u);
  EXPECT_EQ(cache.segments()[2].tag.member, "A");
  EXPECT_EQ(cache.segments()[2].tag.role, SegmentRole::kOutput);
  EXPECT_EQ(cache.segments()[2].begin, 7);
  EXPECT_EQ(cache.segments()[2].end, 9);
  EXPECT_EQ(cache.size(), 12);
  EXPECT_EQ(cache.next_position(), 12);
  EXPECT_EQ(cache.positions().back(), 11);
}

TEST_F(KVCacheTest, ReportsExactBytes) {
  auto cache = model_->make_cache(1);
  append(cache, 0, 7, {});
  const auto& c = model_->config();
  // keys + values, every layer, kv_heads x head_dim float32 values per token.
  const int64_t per_token = 2 * c.num_hidden_layers * c.num_key_value_heads * c.head_dim * 4;
  EXPECT_EQ(per_token, c.kv_bytes_per_token(4));
  EXPECT_EQ(cache.bytes_used(), 7 * per_token);
  EXPECT_GE(cache.bytes_reserved(), cache.bytes_used());
  EXPECT_EQ(cache.bytes_reserved(), cache.capacity() * per_token);
}

TEST_F(KVCacheTest, CloneIsIndependent) {
  auto cache = model_->make_cache(1);
  append(cache, 0, 4, {"", SegmentRole::kShared});
  auto copy = cache.clone();
  auto keys_before = cache.keys(1).clone();
  append(copy, 9, 3, {"A", SegmentRole::kOutput});
  copy.keys(1).zero_();
  EXPECT_EQ(cache.size(), 4);
  EXPECT_EQ(cache.segments().size(), 1u);
  EXPECT_TRUE(cache.keys(1).equal(keys_before));
}

TEST_F(KVCacheTest, TruncateThenReappendReproducesLogits) {
  auto cache = model_->make_cache(1);
  append(cache, 0, 6, {"", SegmentRole::kShared});
  auto first = append(cache, 40, 3, {"A", SegmentRole::kOutput});
  cache.truncate(6);
  EXPECT_EQ(cache.size(), 6);
  EXPECT_EQ(cache.next_position(), 6);
  ASSERT_EQ(cache.segments().size(), 1u);
  auto again = append(cache, 40, 3, {"A", SegmentRole::kOutput});
  EXPECT_LT(test::max_abs_diff(first, again), 1e-6);
  cache.truncate(4);
  EXPECT_EQ(cache.segments().back().end, 4);
  EXPECT_THAT(test::error_message([&] { cache.truncate(5); }), HasSubstr("outside [0, 4]"));
}

TEST_F(KVCacheTest, ExtendEqualsOneLongerPrefill) {
  auto whole = model_->make_cache(1);
  append(whole, 0, 9, {});
  auto head = model_->make_cache(1);
  append(head, 0, 5, {"", SegmentRole::kShared});
  // The tail computed in a cache that already holds the head, then split off and re-joined.
  auto tail = head.clone();
  append(tail, 5, 4, {"A", SegmentRole::kInput});
  auto tail_only = model_->make_cache(1);
  tail_only.begin_append(4);
  for (int64_t l = 0; l < tail.num_layers(); ++l) {
    tail_only.write(l, tail.keys(l).narrow(2, 5, 4), tail.values(l).narrow(2, 5, 4));
  }
  tail_only.finish_append({5, 6, 7, 8}, {"A", SegmentRole::kInput});
  head.extend(tail_only);
  EXPECT_EQ(head.size(), 9);
  EXPECT_EQ(head.next_position(), 9);
  ASSERT_EQ(head.segments().size(), 2u);
  EXPECT_EQ(head.segments()[1].begin, 5);
  for (int64_t l = 0; l < whole.num_layers(); ++l) {
    EXPECT_LT(test::max_abs_diff(head.keys(l), whole.keys(l)), 1e-6);
    EXPECT_LT(test::max_abs_diff(head.values(l), whole.values(l)), 1e-6);
  }
}

TEST_F(KVCacheTest, StaticLayoutNeverReallocatesAndRefusesToOverflow) {
  auto cache = model_->make_cache(1, 8, KVCache::Layout::kStatic);
  const auto reserved = cache.bytes_reserved();
  append(cache, 0, 5, {});
  const auto* storage = cache.keys(0).data_ptr();
  for (int i = 0; i < 3; ++i) append(cache, 5 + i, 1, {});
  EXPECT_EQ(cache.keys(0).data_ptr(), storage);
  EXPECT_EQ(cache.bytes_reserved(), reserved);
  EXPECT_THAT(test::error_message([&] { append(cache, 9, 1, {}); }),
              HasSubstr("static cache of 8 slots cannot hold 9"));
}

TEST_F(KVCacheTest, GrowableLayoutDoubles) {
  auto cache = model_->make_cache(1, 4);
  append(cache, 0, 5, {});
  EXPECT_EQ(cache.capacity(), 8);
  append(cache, 5, 10, {});
  EXPECT_EQ(cache.capacity(), 16);
}

TEST_F(KVCacheTest, FitGrowsOnceToWhatATurnNeedsAndKeepsTheSlots) {
  auto cache = model_->make_cache(1);
  append(cache, 0, 5, {});
  const auto kept = cache.keys(0).clone();
  cache.fit(70);
  EXPECT_EQ(cache.capacity(), 2 * KVCache::kFitGranularity);
  EXPECT_TRUE(torch::equal(cache.keys(0), kept));
  const auto storage = cache.storage();
  append(cache, 5, 60, {});
  cache.fit(40);
  EXPECT_EQ(cache.storage(), storage);
  auto fixed = model_->make_cache(1, 8, KVCache::Layout::kStatic);
  fixed.fit(100);
  EXPECT_EQ(fixed.capacity(), 8);
}

}  // namespace
}  // namespace kvchain
