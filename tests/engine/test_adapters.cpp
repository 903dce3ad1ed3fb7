#include <gtest/gtest.h>

#include "engine/adapters/adapter.h"
#include "engine/chain/chain_model.h"
#include "engine/model/checkpoint.h"
#include "engine/io/safetensors.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

std::shared_ptr<Adapter> make_adapter(LlamaForCausalLM& base, AdapterKind kind, int64_t n) {
  AdapterConfig config;
  config.kind = kind;
  config.num_virtual_tokens = n;
  config.base_fingerprint = model_fingerprint(base);
  return std::make_shared<Adapter>(config, base.config());
}

TEST(Adapter, ShallowPromptStartsAsTheInitTextEmbeddingsRepeated) {
  auto base = test::small_model(1);
  auto adapter = make_adapter(*base, AdapterKind::kPrompt, 5);
  adapter->to(base->device());
  adapter->initialise(*base, {7, 8});
  const auto expected = base->embed(torch::tensor({7, 8, 7, 8, 7}).unsqueeze(0))[0];
  EXPECT_LT(test::max_abs_diff(adapter->table(), expected), 1e-7);
}

TEST(Adapter, DeepPromptStartsAsTheBaseModelsKeysAndValuesOfTheText) {
  auto base = test::small_model(2);
  auto adapter = make_adapter(*base, AdapterKind::kPrefix, 4);
  adapter->to(base->device());
  adapter->initialise(*base, {9, 10, 11, 12});
  auto cache = base->make_cache(1);
  ForwardArgs args;
  args.input_ids = torch::tensor({9, 10, 11, 12}).unsqueeze(0);
  args.cache = &cache;
  torch::NoGradGuard no_grad;
  base->forward(args);
  const auto [keys, values] = adapter->prefix_kv();
  ASSERT_EQ(static_cast<int64_t>(keys.size()), base->config().num_hidden_layers);
  for (int64_t layer = 0; layer < cache.num_layers(); ++layer) {
    EXPECT_LT(test::max_abs_diff(keys[layer], cache.keys(layer)), 1e-6);
    EXPECT_LT(test::max_abs_diff(values[layer], cache.values(layer)), 1e-6);
  }
}

TEST(Adapter, ReparameterisedPrefixHasTheSameShapeAndTrainsTheEncoder) {
  auto base = test::small_model(3);
  AdapterConfig config;
  config.kind = AdapterKind::kPrefix;
  config.num_virtual_tokens = 3;
  config.reparameterize = true;
  config.encoder_hidden_size = 16;
  Adapter adapter(config, base->config());
  EXPECT_EQ(adapter.table().size(1), Adapter::table_width(AdapterKind::kPrefix, base->config()));
  adapter.table().sum().backward();
  for (const auto& p : adapter.parameters()) EXPECT_TRUE(p.grad().defined());
}

TEST(Adapter, SavesAndLoadsWithItsHeaderAndRefusesAnotherBase) {
  test::TempDir dir;
  auto base = test::small_model(4);
  for (const auto kind : {AdapterKind::kPrompt, AdapterKind::kPrefix}) {
    auto adapter = make_adapter(*base, kind, 6);
    {
      torch::NoGradGuard no_grad;
      adapter->table().normal_();
    }
    const auto path = dir.file(std::string(adapter_kind_name(kind)) + ".safetensors");
    save_adapter(*adapter, path);
    auto loaded = load_adapter(path, *base);
    EXPECT_EQ(loaded->kind(), kind);
    EXPECT_EQ(loaded->size(), 6);
    EXPECT_TRUE(loaded->table().cpu().equal(adapter->table().cpu()));

    auto other = test::small_model(5);
    const auto message = test::error_message([&] { load_adapter(path, *other); });
    EXPECT_NE(message.find(path + ": adapter was trained on base model"), std::string::npos)
        << message;
  }
}

TEST(Adapter, FingerprintIgnoresDtypeButNotWeights) {
  auto base = test::small_model(6);
  const auto fingerprint = model_fingerprint(*base);
  auto copy = test::small_model(6);
  copy->to(torch::kBFloat16);
  EXPECT_EQ(model_fingerprint(*copy), fingerprint);
  EXPECT_NE(model_fingerprint(*test::small_model(7)), fingerprint);
}

TEST(Adapter, LoadsAPeftPromptTuningDirectory) {
  test::TempDir dir;
  auto base = test::small_model(8);
  write_json_file_atomic(dir.file("adapter_config.json"), {{"peft_type", "PROMPT_TUNING"},
                                                           {"num_virtual_tokens", 4},
                                                           {"token_dim", 32},
                                                           {"task_type", "CAUSAL_LM"}});
  const auto table = torch::randn({4, 32});
  write_safetensors(dir.file("adapter_model.safetensors"), {{"prompt_embeddings", table}});
  auto adapter = load_adapter(dir.path().string(), *base);
  EXPECT_EQ(adapter->kind(), AdapterKind::kPrompt);
  EXPECT_TRUE(adapter->table().cpu().equal(table));

  write_safetensors(dir.file("adapter_model.safetensors"),
                    {{"prompt_embeddings", torch::randn({4, 31})}});
  const auto message = test::error_message([&] { load_adapter(dir.path().string(), *base); });
  EXPECT_NE(message.find("prompt_embeddings has shape [4, 31], expected [4, 32]"),
            std::string::npos)
      << message;
}

TEST(Adapter, RefusesAFileThatIsNotAnAdapter) {
  test::TempDir dir;
  auto base = test::small_model(9);
  write_safetensors(dir.file("x.safetensors"), {{"w", torch::zeros({2})}});
  EXPECT_NE(test::error_message([&] {
              load_adapter(dir.file("x.safetensors"), *base);
            }).find("not a kvchain adapter"),
            std::string::npos);
}

// Adapters PEFT itself wrote for the tiny-llama fixture (tests/gpu/peft_interop.py, PEFT 0.21,
// transformers 5.17, float32 on CPU), with PEFT's logits for the same input: kvchain loads
// PEFT's files, lays its prompt out as PEFT does (virtual tokens first; a prefix's keys and
// values per layer, key/value, head and dimension) and gives PEFT's logits. Measured difference:
// 4.2e-7 for both, on logits within +-1.1; the bound is 1e-6 (2.4x), and a wrong layout or
// position moves them by tenths.
class PeftAdapter : public ::testing::TestWithParam<const char*> {};

TEST_P(PeftAdapter, GivesPeftsLogits) {
  torch::NoGradGuard no_grad;
  // On the CPU, as PEFT ran: a check of the files and their layout, not of a device's rounding.
  auto base = load_model(test::tiny_llama_dir(), torch::kCPU, torch::kFloat32);
  base->eval();
  for (auto& p : base->parameters()) p.set_requires_grad(false);
  const auto reference = read_json_file(test::data_sample("peft/reference.json"));
  const auto& expected_json = reference.at(GetParam()).at("logits");
  const auto ids = reference.at("input_ids").get<std::vector<int64_t>>();
  ChainModel chain(base);
  chain.set_adapter("m", load_adapter(test::data_sample(std::string("peft/") + GetParam()), *base));
  EXPECT_EQ(chain.adapter("m").kind(), std::string(GetParam()) == "prefix_tuning"
                                           ? AdapterKind::kPrefix
                                           : AdapterKind::kPrompt);
  auto cache = base->make_cache(1);
  const auto result = chain.run(
      cache, {LayoutPart::prompt("m"), LayoutPart::tokens({"m", SegmentRole::kInput}, ids)});
  const auto t = static_cast<int64_t>(ids.size());
  const auto logits = result.logits[0].narrow(0, result.logits.size(1) - t, t);
  const auto expected = test::json_tensor(expected_json);
  const double error = test::max_abs_diff(logits, expected);
  EXPECT_LT(error, 1e-6) << GetParam();
  // The adapter matters: the base alone is far from PEFT's logits.
  ForwardArgs plain;
  plain.input_ids = torch::tensor(ids).unsqueeze(0);
  EXPECT_GT(test::max_abs_diff(base->forward(plain).logits[0], expected), 0.1);
}

INSTANTIATE_TEST_SUITE_P(PeftWritten, PeftAdapter,
                         ::testing::Values("prompt_tuning", "prefix_tuning"));

}  // namespace
}  // namespace kvchain
