// KVCache bookkeeping: segments, byte accounting, copy/truncate/span operations, static layout,
// reserve.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/model/llama_model.h"
#include "tests/support/test_support.h"

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

TEST_F(KVCacheTest, CopyIsIndependent) {
  auto cache = model_->make_cache(1);
  append(cache, 0, 4, {"", SegmentRole::kShared});
  auto copy = cache.copy();
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

// A chain's cache holds members' spans; each span operation takes them by member and role, and
// what it keeps attends exactly as it did in place.
TEST_F(KVCacheTest, SpanOperationsTakeSpansByMemberAndRole) {
  auto cache = model_->make_cache(1);
  append(cache, 0, 3, {"", SegmentRole::kShared});
  append(cache, 10, 2, {"A", SegmentRole::kPrompt});
  append(cache, 20, 4, {"A", SegmentRole::kInput});
  append(cache, 30, 2, {"A", SegmentRole::kOutput});
  append(cache, 40, 1, {"B", SegmentRole::kInput});
  const auto keys = cache.keys(1).clone();
  const auto values = cache.values(0).clone();
  // Slots 0-2 shared, 3-4 A's prompt, 5-8 A's input, 9-10 A's output, 11 B's input.
  const auto slots = [](std::vector<int64_t> list) { return torch::tensor(list, torch::kInt64); };

  auto dropped = cache.copy();
  EXPECT_EQ(dropped.drop({"A", {SegmentRole::kPrompt, SegmentRole::kInput}}), 6);
  EXPECT_EQ(dropped.size(), 6);
  EXPECT_EQ(dropped.positions(), (std::vector<int64_t>{0, 1, 2, 9, 10, 11}));
  EXPECT_EQ(dropped.next_position(), 12);  // new tokens continue the numbering
  EXPECT_TRUE(torch::equal(dropped.keys(1), keys.index_select(2, slots({0, 1, 2, 9, 10, 11}))));
  ASSERT_EQ(dropped.segments().size(), 3u);
  EXPECT_EQ(dropped.segments()[1].tag, (SegmentTag{"A", SegmentRole::kOutput}));
  EXPECT_EQ(dropped.segments()[1].begin, 3);
  EXPECT_EQ(dropped.segments()[1].end, 5);

  auto kept = cache.copy();
  EXPECT_EQ(kept.keep({"A", {}}), 4);  // every role of A
  EXPECT_EQ(kept.positions(), (std::vector<int64_t>{3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_TRUE(
      torch::equal(kept.values(0), values.index_select(2, slots({3, 4, 5, 6, 7, 8, 9, 10}))));

  const auto outputs = cache.copy({std::nullopt, {SegmentRole::kOutput}});  // any member's
  EXPECT_EQ(outputs.size(), 2);
  EXPECT_EQ(outputs.positions(), (std::vector<int64_t>{9, 10}));
  EXPECT_EQ(cache.size(), 12);  // copies leave the original alone
  EXPECT_TRUE(torch::equal(cache.keys(1), keys));

  // Dropping frees slots in use; the buffers keep their allocation.
  const auto reserved = cache.bytes_reserved(), used = cache.bytes_used();
  EXPECT_EQ(cache.drop({"B", {}}), 1);
  EXPECT_EQ(cache.bytes_used(), used / 12 * 11);
  EXPECT_EQ(cache.bytes_reserved(), reserved);
  EXPECT_EQ(cache.drop({"nobody", {}}), 0);
}

// Tokens appended behind dropped spans attend to the kept slots exactly as they would have in
// place, where the dropped spans were masked out.
TEST_F(KVCacheTest, AppendingAfterADropEqualsMaskingTheDroppedSpans) {
  auto compacted = model_->make_cache(1);
  append(compacted, 0, 4, {"", SegmentRole::kShared});
  append(compacted, 10, 3, {"A", SegmentRole::kInput});
  auto masked = compacted.copy();
  compacted.drop({"A", {}});
  const auto after_drop = append(compacted, 20, 2, {"B", SegmentRole::kInput});
  ForwardArgs args;
  args.input_ids = torch::arange(20, 22).view({1, 2});
  args.cache = &masked;
  args.tag = {"B", SegmentRole::kInput};
  auto visible = torch::ones({1, 1, 2, 9}, torch::kBool);
  visible.narrow(3, 4, 3).fill_(false);  // A's input
  visible[0][0][0][8] = false;           // the first new token does not see the second
  args.attention_mask = visible;
  const auto with_mask = model_->forward(args).logits;
  EXPECT_LT(test::max_abs_diff(after_drop, with_mask), 1e-5);
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

TEST_F(KVCacheTest, ReserveGrowsOnceToWhatATurnNeedsAndKeepsTheSlots) {
  auto cache = model_->make_cache(1);
  append(cache, 0, 5, {});
  const auto kept = cache.keys(0).clone();
  cache.reserve(70);
  EXPECT_EQ(cache.capacity(), 2 * KVCache::kReserveGranularity);
  EXPECT_TRUE(torch::equal(cache.keys(0), kept));
  const auto storage = cache.storage();
  append(cache, 5, 60, {});
  cache.reserve(40);
  EXPECT_EQ(cache.storage(), storage);
  auto fixed = model_->make_cache(1, 8, KVCache::Layout::kStatic);
  fixed.reserve(100);
  EXPECT_EQ(fixed.capacity(), 8);
}

}  // namespace
}  // namespace kvchain
