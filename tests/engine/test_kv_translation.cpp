// K-V cache translation through a shared latent space (engine/alignment/): the layer mapping,
// a model's cache translated to itself through identity-initialised adapters reproducing its
// logits, shapes, dtypes, positions and tags of a translation between different models, clear
// errors for mismatched adapters, and gradients reaching the sender's encoders and the
// receiver's decoders.
#include <gtest/gtest.h>

#include "engine/alignment/cache_translation.h"
#include "engine/alignment/layer_mapping.h"
#include "engine/io/error.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using test::error_message;
using test::max_abs_diff;
using test::small_config_json;
using test::test_device;

ModelConfig config_with(int64_t layers, int64_t hidden, int64_t heads, int64_t kv_heads) {
  auto json = small_config_json();
  json["num_hidden_layers"] = layers;
  json["hidden_size"] = hidden;
  json["num_attention_heads"] = heads;
  json["num_key_value_heads"] = kv_heads;
  return ModelConfig::from_json(json, "test");
}

std::shared_ptr<LlamaForCausalLM> model_of(const ModelConfig& config, uint64_t seed) {
  auto model = std::make_shared<LlamaForCausalLM>(config);
  model->init_random(seed, 0.1);
  model->to(test_device());
  model->eval();
  return model;
}

torch::Tensor ids(std::vector<int64_t> values) {
  return torch::tensor(values, torch::kInt64).unsqueeze(0).to(test_device());
}

// The prefix [prefix] prefilled into a fresh cache of `model`, tagged as shared content.
KVCache prefilled(LlamaForCausalLM& model, const torch::Tensor& prefix) {
  auto cache = model.make_cache(1);
  ForwardArgs args;
  args.input_ids = prefix;
  args.cache = &cache;
  args.tag = {"", SegmentRole::kShared};
  model.forward(args);
  return cache;
}

torch::Tensor logits_after(LlamaForCausalLM& model, KVCache& cache, const torch::Tensor& suffix) {
  ForwardArgs args;
  args.input_ids = suffix;
  args.cache = &cache;
  args.tag = {"B", SegmentRole::kInput};
  return model.forward(args).logits;
}

TEST(LayerMappingTest, MapsReceiverLayersToTheNearestRelativeDepth) {
  EXPECT_EQ(layer_mapping(4, 4), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(layer_mapping(4, 2), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(layer_mapping(2, 4), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(layer_mapping(6, 3), (std::vector<int64_t>{0, 3, 5}));
  EXPECT_EQ(layer_mapping(32, 28).back(), 31);
  EXPECT_EQ(layer_mapping(1, 3), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(layer_mapping(5, 1), (std::vector<int64_t>{0}));
  EXPECT_THROW(layer_mapping(0, 2), Error);
}

TEST(KVTranslationTest, IdentityAdaptersReproduceTheModelsOwnLogits) {
  torch::NoGradGuard no_grad;
  auto model = model_of(config_with(3, 32, 4, 2), 7);
  const auto prefix = ids({5, 17, 33, 8, 61, 2, 40, 11, 19, 23, 4, 90, 13, 6, 77, 31, 50, 9});
  const auto suffix = ids({12, 44, 3, 70});
  auto own = prefilled(*model, prefix);
  const auto expected = logits_after(*model, own, suffix);
  // shared_dim == kv_heads x head_dim: identity; larger: an orthonormal projection, also exact.
  for (const int64_t shared_dim : {16, 24}) {
    KVSpaceAdapter adapter(model->config(), shared_dim, 3);
    adapter.to(test_device());
    CacheTranslation translation(model->config(), adapter, model->config(), adapter);
    auto source = prefilled(*model, prefix);
    auto target = model->make_cache(1);
    translation.translate(source, target);
    EXPECT_EQ(target.positions(), source.positions());
    EXPECT_LT(max_abs_diff(target.keys(2), source.keys(2)), 1e-5) << shared_dim;
    EXPECT_LT(max_abs_diff(logits_after(*model, target, suffix), expected), 1e-5) << shared_dim;
  }
  // A narrower space loses information: the logits move.
  KVSpaceAdapter narrow(model->config(), 8, 3);
  narrow.to(test_device());
  auto source = prefilled(*model, prefix);
  auto target = model->make_cache(1);
  CacheTranslation(model->config(), narrow, model->config(), narrow).translate(source, target);
  EXPECT_GT(max_abs_diff(logits_after(*model, target, suffix), expected), 1e-3);
}

TEST(KVTranslationTest, TranslatesIntoADifferentModelsShapesDtypePositionsAndTags) {
  torch::NoGradGuard no_grad;
  auto sender = model_of(config_with(4, 32, 4, 2), 1);    // 4 layers, 2 kv heads of 8
  auto receiver = model_of(config_with(2, 48, 2, 1), 2);  // 2 layers, 1 kv head of 24
  receiver->to(torch::kFloat64);
  KVSpaceAdapter from(sender->config(), 20, 1), to(receiver->config(), 20, 2);
  from.to(test_device());
  to.to(test_device());
  auto source = sender->make_cache(1);
  ForwardArgs args;
  args.input_ids = ids({3, 9, 27, 81, 4});
  args.cache = &source;
  args.tag_spans = {{{"", SegmentRole::kShared}, 2}, {{"A", SegmentRole::kOutput}, 3}};
  sender->forward(args);
  auto target = receiver->make_cache(1);
  CacheTranslation(sender->config(), from, receiver->config(), to).translate(source, target);
  ASSERT_EQ(target.num_layers(), 2);
  EXPECT_EQ(target.keys(1).sizes(), (std::vector<int64_t>{1, 1, 5, 24}));
  EXPECT_EQ(target.values(0).scalar_type(), torch::kFloat64);
  EXPECT_EQ(target.positions(), source.positions());
  ASSERT_EQ(target.segments().size(), 2u);
  EXPECT_EQ(target.segments()[1].tag, (SegmentTag{"A", SegmentRole::kOutput}));
  EXPECT_EQ(target.segments()[1].begin, 2);
  // The receiver reads the translation and goes on: its next token is numbered after it.
  EXPECT_EQ(logits_after(*receiver, target, ids({7})).sizes(),
            (std::vector<int64_t>{1, 1, receiver->config().vocab_size}));
  EXPECT_EQ(target.positions().back(), 5);
}

TEST(KVTranslationTest, MismatchedAdaptersAreClearErrors) {
  const auto small = config_with(2, 32, 4, 2), deep = config_with(4, 32, 4, 2);
  KVSpaceAdapter small_adapter(small, 16), deep_adapter(deep, 16), wide(deep, 24);
  EXPECT_NE(error_message([&] {
              CacheTranslation(small, deep_adapter, deep, deep_adapter);
            }).find("the sender's adapter has 4 layers"),
            std::string::npos);
  EXPECT_NE(error_message([&] {
              CacheTranslation(small, small_adapter, deep, wide);
            }).find("shared spaces differ (16 and 24"),
            std::string::npos);
  std::unordered_map<std::string, torch::Tensor> tensors;
  for (const auto& item : wide.named_parameters()) tensors[item.key()] = item.value();
  EXPECT_NE(error_message([&] {
              deep_adapter.load(tensors, "a.safetensors");
            }).find("a.safetensors: tensor key_encoder has shape [4, 24, 16]"),
            std::string::npos);
  tensors.erase("value_decoder");
  EXPECT_NE(error_message([&] {
              wide.load(tensors, "b.safetensors");
            }).find("b.safetensors: tensor value_decoder is missing"),
            std::string::npos);
}

TEST(KVTranslationTest, TheReceiversLossReachesBothAdapters) {
  auto sender = model_of(config_with(2, 32, 4, 2), 4);
  auto receiver = model_of(config_with(3, 32, 4, 1), 5);
  for (auto& p : sender->parameters()) p.set_requires_grad(false);
  for (auto& p : receiver->parameters()) p.set_requires_grad(false);
  KVSpaceAdapter from(sender->config(), 12, 1), to(receiver->config(), 12, 2);
  from.to(test_device());
  to.to(test_device());
  KVCache source = [&] {
    torch::NoGradGuard no_grad;
    return prefilled(*sender, ids({4, 8, 15, 16, 23, 42}));
  }();
  auto target = receiver->make_cache(1);
  CacheTranslation(sender->config(), from, receiver->config(), to).translate(source, target);
  logits_after(*receiver, target, ids({1, 2, 3})).logsumexp(-1).sum().backward();
  // The sender's encoders and the receiver's decoders carry the translation; the other halves
  // serve the opposite direction.
  for (const auto& [adapter, used] :
       {std::make_pair(&from, "encoder"), std::make_pair(&to, "decoder")}) {
    for (const auto& item : adapter->named_parameters()) {
      const auto& grad = item.value().grad();
      if (item.key().find(used) == std::string::npos) {
        EXPECT_FALSE(grad.defined()) << item.key();
        continue;
      }
      ASSERT_TRUE(grad.defined()) << item.key();
      EXPECT_GT(grad.abs().sum().item<double>(), 0) << item.key();
    }
  }
}

}  // namespace
}  // namespace kvchain
