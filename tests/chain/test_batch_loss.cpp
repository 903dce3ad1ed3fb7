// Batched training losses against one example at a time: the same per-example losses and the
// same gradients of their mean, for shallow and deep prompts, from empty caches (FTHSS's whole
// sequence, one member's), and after stored caches (the offline form).
#include <gtest/gtest.h>

#include "engine/chain/batch_loss.h"
#include "engine/model/checkpoint.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

class BatchLoss : public ::testing::TestWithParam<AdapterKind> {
 protected:
  std::shared_ptr<LlamaForCausalLM> base =
      load_model(test::tiny_llama_dir(), test::test_device(), torch::kFloat32);
  Tokenizer tokenizer = Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json");
  ChainModel chain{base};
  std::vector<std::shared_ptr<Adapter>> adapters;

  void SetUp() override {
    base->eval();
    for (auto& p : base->parameters()) p.requires_grad_(false);
    torch::manual_seed(3);
    for (const auto& member : {"A", "B"}) {
      adapters.push_back(test::random_adapter(*base, GetParam(), 4, 0.5));
      chain.set_adapter(member, adapters.back());
    }
  }

  std::vector<int64_t> ids(const std::string& text) { return tokenizer.encode(text); }

  // Example i: shared, P_A, x_A, y_A, P_B, x_B, y_B (loss on y_B), lengths varying with i.
  std::vector<LayoutPart> sequence(int i) {
    std::string words;
    for (int w = 0; w <= i % 4; ++w) words += " word" + std::to_string(w * 7 + i);
    return {LayoutPart::tokens({"", SegmentRole::kShared}, ids("Question" + words)),
            LayoutPart::prompt("A"),
            LayoutPart::tokens({"A", SegmentRole::kInput}, ids("Compress" + words)),
            LayoutPart::output("A", ids(" summary" + std::to_string(i)), 2, false),
            LayoutPart::prompt("B"),
            LayoutPart::tokens({"B", SegmentRole::kInput}, ids("Answer:")),
            LayoutPart::output("B", ids(" yes" + words), 2, true)};
  }

  std::vector<torch::Tensor> gradients() {
    std::vector<torch::Tensor> grads;
    for (auto& adapter : adapters) {
      for (auto& p : adapter->parameters()) {
        grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
        p.mutable_grad() = torch::Tensor();
      }
    }
    return grads;
  }

  void expect_same(const std::vector<std::vector<LayoutPart>>& sequences,
                   const std::vector<const KVCache*>& stored) {
    const auto n = static_cast<double>(sequences.size());
    std::vector<double> expected;
    for (size_t i = 0; i < sequences.size(); ++i) {
      auto cache = stored[i] != nullptr ? stored[i]->copy() : base->make_cache(1);
      const auto result = chain.run(cache, sequences[i]);
      expected.push_back(result.loss.item<double>());
      (result.loss / n).backward();
    }
    const auto one_by_one = gradients();
    std::vector<LossExample> examples;
    for (size_t i = 0; i < sequences.size(); ++i) examples.push_back({&sequences[i], stored[i]});
    const auto results = batch_losses(chain, examples);
    ASSERT_EQ(results.size(), sequences.size());
    torch::Tensor total;
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_NEAR(results[i].loss.item<double>(), expected[i], 1e-4) << "example " << i;
      total = total.defined() ? total + results[i].loss / n : results[i].loss / n;
    }
    total.backward();
    const auto batched = gradients();
    ASSERT_EQ(batched.size(), one_by_one.size());
    // B's prompt gets a gradient (A's only where the sequence runs A's part).
    const auto b_first = adapters.front()->parameters().size();
    for (size_t g = 0; g < batched.size(); ++g) {
      if (g >= b_first) {
        EXPECT_GT(one_by_one[g].abs().max().item<double>(), 0) << "parameter " << g;
      }
      EXPECT_TRUE(torch::allclose(batched[g], one_by_one[g], 1e-4, 1e-6)) << "parameter " << g;
    }
  }
};

TEST_P(BatchLoss, WholeSequencesGiveTheLossesAndGradientsOfOneAtATime) {
  std::vector<std::vector<LayoutPart>> sequences;
  for (int i = 0; i < 5; ++i) sequences.push_back(sequence(i));
  expect_same(sequences, std::vector<const KVCache*>(sequences.size(), nullptr));
}

TEST_P(BatchLoss, OwnPartsAfterStoredCachesGiveTheLossesOfOneAtATime) {
  std::vector<KVCache> stored;
  std::vector<std::vector<LayoutPart>> own;
  for (int i = 0; i < 4; ++i) {
    const auto parts = sequence(i);
    torch::NoGradGuard no_grad;
    auto cache = base->make_cache(1);
    chain.run(cache, {parts.begin(), parts.begin() + 4}, true);
    cache.drop({std::string("A"), {SegmentRole::kPrompt, SegmentRole::kInput}});
    stored.push_back(std::move(cache));
    own.emplace_back(parts.begin() + 4, parts.end());
  }
  std::vector<const KVCache*> pointers;
  for (const auto& cache : stored) pointers.push_back(&cache);
  expect_same(own, pointers);
}

// One member's sequences (standard prompt tuning: shared, P_B, x_B, y_B) run as plain causal
// rows, right-padded, with shallow prompts; deep ones through the general path.
TEST_P(BatchLoss, OneMembersSequencesGiveTheLossesOfOneAtATime) {
  std::vector<std::vector<LayoutPart>> sequences;
  for (int i = 0; i < 5; ++i) {
    auto parts = sequence(i);
    sequences.push_back({parts[0], parts[4], parts[5], parts[6]});
  }
  expect_same(sequences, std::vector<const KVCache*>(sequences.size(), nullptr));
}

INSTANTIATE_TEST_SUITE_P(AdapterKinds, BatchLoss,
                         ::testing::Values(AdapterKind::kPrompt, AdapterKind::kPrefix),
                         [](const auto& info) { return adapter_kind_name(info.param); });

}  // namespace
}  // namespace kvchain
