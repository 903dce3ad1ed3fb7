// The FTHSS visibility rule, checked against what each member computes on its own.
#include <gtest/gtest.h>

#include <random>

#include "engine/chain/chain_model.h"
#include "engine/chain/visibility.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

constexpr double kTolerance = 1e-5;

std::vector<int64_t> random_ids(std::mt19937& rng, int64_t n) {
  std::uniform_int_distribution<int64_t> id(3, 95);
  std::vector<int64_t> ids(n);
  for (auto& x : ids) x = id(rng);
  return ids;
}

int64_t between(std::mt19937& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// Adapters for members A and B whose prompts are random, so that seeing one changes logits.
ChainModel make_chain(AdapterKind kind, uint64_t seed, int64_t prompt_a = 5, int64_t prompt_b = 7) {
  ChainModel chain(test::small_model(seed));
  torch::manual_seed(seed);
  for (const auto& [member, size] : {std::pair{"A", prompt_a}, std::pair{"B", prompt_b}}) {
    AdapterConfig config;
    config.kind = kind;
    config.num_virtual_tokens = size;
    auto adapter = std::make_shared<Adapter>(config, chain.base().config());
    torch::NoGradGuard no_grad;
    adapter->table().normal_(0, 0.3);
    adapter->to(chain.base().device());
    chain.set_adapter(member, adapter);
  }
  return chain;
}

struct SingleRound {
  std::vector<LayoutPart> a_parts, b_parts;
  int64_t a_tokens = 0;  // token slots of A's parts in one forward (deep prompts excluded)
};

SingleRound random_single_round(std::mt19937& rng, bool deep, int64_t prompt_a) {
  SingleRound layout;
  const bool with_shared = between(rng, 0, 1) == 1;
  if (with_shared) {
    layout.a_parts.push_back(
        LayoutPart::tokens({"", SegmentRole::kShared}, random_ids(rng, between(rng, 1, 6))));
  }
  layout.a_parts.push_back(LayoutPart::prompt("A"));
  layout.a_parts.push_back(
      LayoutPart::tokens({"A", SegmentRole::kInput}, random_ids(rng, between(rng, 1, 9))));
  layout.a_parts.push_back(LayoutPart::output("A", random_ids(rng, between(rng, 1, 6)), 2, false));
  layout.b_parts.push_back(LayoutPart::prompt("B"));
  layout.b_parts.push_back(
      LayoutPart::tokens({"B", SegmentRole::kInput}, random_ids(rng, between(rng, 1, 5))));
  layout.b_parts.push_back(LayoutPart::output("B", random_ids(rng, between(rng, 1, 6)), 2, true));
  for (const auto& part : layout.a_parts) layout.a_tokens += static_cast<int64_t>(part.ids.size());
  if (!deep) layout.a_tokens += prompt_a;
  return layout;
}

std::vector<LayoutPart> concat(std::vector<LayoutPart> a, const std::vector<LayoutPart>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class FthssMask : public ::testing::TestWithParam<AdapterKind> {};

TEST_P(FthssMask, APartInsideBsSequenceEqualsAAlone) {
  const bool deep = GetParam() == AdapterKind::kPrefix;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    auto chain = make_chain(GetParam(), seed);
    const auto layout = random_single_round(rng, deep, 5);
    torch::NoGradGuard no_grad;
    auto full_cache = chain.base().make_cache(1);
    const auto full = chain.run(full_cache, concat(layout.a_parts, layout.b_parts));
    auto alone_cache = chain.base().make_cache(1);
    const auto alone = chain.run(alone_cache, layout.a_parts);
    ASSERT_EQ(alone.logits.size(1), layout.a_tokens);
    EXPECT_LT(test::max_abs_diff(full.logits.narrow(1, 0, layout.a_tokens), alone.logits),
              kTolerance)
        << "seed " << seed;
  }
}

TEST_P(FthssMask, OnlineAndOfflineTrainingGiveTheSameLossAndGradient) {
  const bool deep = GetParam() == AdapterKind::kPrefix;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    std::mt19937 rng(seed);
    auto chain = make_chain(GetParam(), seed);
    const auto layout = random_single_round(rng, deep, 5);
    const auto prompt_b = chain.adapter("B").table();

    auto online_cache = chain.base().make_cache(1);
    const auto online = chain.run(online_cache, concat(layout.a_parts, layout.b_parts));
    const auto online_grad = torch::autograd::grad({online.loss}, {prompt_b})[0];

    // Offline (the paper's Fig. 2a): B trains on the stored cache that A produced alone.
    auto stored = chain.base().make_cache(1);
    {
      torch::NoGradGuard no_grad;
      chain.run(stored, layout.a_parts);
    }
    const auto offline = chain.run(stored, layout.b_parts);
    const auto offline_grad = torch::autograd::grad({offline.loss}, {prompt_b})[0];

    EXPECT_EQ(online.loss_tokens, offline.loss_tokens);
    EXPECT_NEAR(online.loss.item<double>(), offline.loss.item<double>(), kTolerance);
    EXPECT_LT(test::max_abs_diff(online_grad, offline_grad), kTolerance);
    EXPECT_GT(online_grad.abs().max().item<double>(), 0.0);
  }
}

TEST_P(FthssMask, BFromTheSharedCacheEqualsTheFullMaskedPass) {
  const bool deep = GetParam() == AdapterKind::kPrefix;
  for (const bool evict : {false, true}) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      std::mt19937 rng(seed + 10);
      auto chain = make_chain(GetParam(), seed);
      const auto layout = random_single_round(rng, deep, 5);
      torch::NoGradGuard no_grad;
      auto full_cache = chain.base().make_cache(1);
      const auto full = chain.run(full_cache, concat(layout.a_parts, layout.b_parts));
      const auto b_rows =
          full.logits.narrow(1, layout.a_tokens, full.logits.size(1) - layout.a_tokens);

      // Inference: A fills the cache, B appends its prompt and input, then decodes its output
      // one token at a time.
      auto cache = chain.base().make_cache(1);
      chain.run(cache, layout.a_parts);
      if (evict) {
        const auto removed = cache.drop({"A", {SegmentRole::kPrompt, SegmentRole::kInput}});
        EXPECT_GT(removed, 0);
      }
      std::vector<torch::Tensor> rows;
      rows.push_back(chain.run(cache, {layout.b_parts[0], layout.b_parts[1]}).logits);
      const auto& output = layout.b_parts[2];
      for (size_t i = 0; i + 1 < output.ids.size(); ++i) {
        rows.push_back(
            chain.run(cache, {LayoutPart::output("B", {output.ids[i]}, -1, false)}).logits);
      }
      const auto stepped = torch::cat(rows, 1);
      // Full-pass rows of B minus the last output token (decoding never feeds it back).
      EXPECT_LT(test::max_abs_diff(b_rows.narrow(1, 0, stepped.size(1)), stepped), kTolerance)
          << "seed " << seed << (evict ? " with eviction" : "");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AdapterKinds, FthssMask,
                         ::testing::Values(AdapterKind::kPrompt, AdapterKind::kPrefix),
                         [](const auto& info) { return adapter_kind_name(info.param); });

TEST(FthssMask, CascadeHidesExactlyTheOtherMembersPrompts) {
  // Multi-round layout: all prompts, the shared input, then alternating rounds.
  const std::vector<std::pair<SegmentTag, int64_t>> layout = {
      {{"A", SegmentRole::kPrompt}, 3}, {{"B", SegmentRole::kPrompt}, 3},
      {{"", SegmentRole::kShared}, 4},  {{"A", SegmentRole::kInput}, 1},
      {{"A", SegmentRole::kOutput}, 3}, {{"B", SegmentRole::kInput}, 1},
      {{"B", SegmentRole::kOutput}, 2}, {{"A", SegmentRole::kInput}, 1},
      {{"A", SegmentRole::kOutput}, 2}};
  std::vector<Segment> segments;
  int64_t slot = 0;
  for (const auto& [tag, length] : layout) {
    segments.push_back({tag, slot, slot + length});
    slot += length;
  }
  const auto mask = build_attention_mask(segments, 0, slot, slot)[0][0];
  for (size_t q = 0; q < segments.size(); ++q) {
    for (size_t k = 0; k < segments.size(); ++k) {
      const auto& query = segments[q];
      const auto& key = segments[k];
      const auto block = mask.slice(0, query.begin, query.end).slice(1, key.begin, key.end);
      const bool other_members_context = key.tag.role != SegmentRole::kShared &&
                                         key.tag.role != SegmentRole::kOutput &&
                                         key.tag.member != query.tag.member;
      if (k > q || other_members_context) {
        EXPECT_FALSE(block.any().item<bool>()) << "segment " << q << " sees segment " << k;
      } else if (k < q) {
        EXPECT_TRUE(block.all().item<bool>()) << "segment " << q << " misses segment " << k;
      } else {
        const auto n = query.end - query.begin;
        EXPECT_TRUE(block.equal(torch::ones({n, n}, torch::kBool).tril()));
      }
    }
  }
  // The outputs see their own prompt and no other: B's output row over the prompt columns.
  const auto b_output = segments[6];
  EXPECT_FALSE(mask[b_output.begin].slice(0, 0, 3).any().item<bool>());
  EXPECT_TRUE(mask[b_output.begin].slice(0, 3, 6).all().item<bool>());
}

TEST(FthssMask, CascadeTrainsEveryPromptAndEqualsRoundByRoundInference) {
  for (const auto kind : {AdapterKind::kPrompt, AdapterKind::kPrefix}) {
    std::mt19937 rng(3);
    auto chain = make_chain(kind, 3);
    const auto tokens = [&](const char* member, SegmentRole role, int64_t n) {
      return LayoutPart::tokens({member, role}, random_ids(rng, n));
    };
    const std::vector<LayoutPart> layout = {LayoutPart::prompt("A"),
                                            LayoutPart::prompt("B"),
                                            tokens("", SegmentRole::kShared, 5),
                                            tokens("A", SegmentRole::kInput, 1),
                                            LayoutPart::output("A", random_ids(rng, 4), 2, true),
                                            tokens("B", SegmentRole::kInput, 1),
                                            LayoutPart::output("B", random_ids(rng, 3), 2, true),
                                            tokens("A", SegmentRole::kInput, 1),
                                            LayoutPart::output("A", random_ids(rng, 2), 2, true)};
    auto cache = chain.base().make_cache(1);
    const auto full = chain.run(cache, layout);
    EXPECT_EQ(full.loss_tokens, 4 + 3 + 2 + 3);  // every output, each with its terminator
    const auto grads = torch::autograd::grad(
        {full.loss}, {chain.adapter("A").table(), chain.adapter("B").table()});
    EXPECT_GT(grads[0].abs().max().item<double>(), 0.0) << adapter_kind_name(kind);
    EXPECT_GT(grads[1].abs().max().item<double>(), 0.0) << adapter_kind_name(kind);

    // Inference appends the same parts round by round to one cache.
    torch::NoGradGuard no_grad;
    auto incremental = chain.base().make_cache(1);
    std::vector<torch::Tensor> rows = {
        chain.run(incremental, {layout[0], layout[1], layout[2]}).logits};
    for (size_t i = 3; i < layout.size(); ++i) {
      auto part = layout[i];
      part.loss = false;
      rows.push_back(chain.run(incremental, {part}).logits);
    }
    EXPECT_LT(test::max_abs_diff(torch::cat(rows, 1), full.logits), kTolerance)
        << adapter_kind_name(kind);
  }
}

TEST(FthssMask, ATextChainMemberEqualsItsFullMaskedPass) {
  // The text chain's B: its deep prompt enters the cache first, then the shared question (which
  // may not see the prompt) and B's input (which sees all of it) go through one forward.
  auto chain = make_chain(AdapterKind::kPrefix, 3);
  std::mt19937 rng(3);
  const auto question = random_ids(rng, 4), input = random_ids(rng, 9);
  torch::NoGradGuard no_grad;
  auto cache = chain.base().make_cache(1);
  const auto got = chain.run(
      cache, {LayoutPart::tokens({"", SegmentRole::kShared}, question), LayoutPart::prompt("B"),
              LayoutPart::tokens({"B", SegmentRole::kInput}, input)});

  const SegmentTag prompt_tag{"B", SegmentRole::kPrompt};
  const int64_t prompt = chain.adapter("B").size(), q = 4, n = 9;
  auto reference = chain.base().make_cache(1);
  auto [keys, values] = chain.adapter("B").prefix_kv();
  std::vector<int64_t> prompt_positions(prompt);
  for (int64_t i = 0; i < prompt; ++i) prompt_positions[i] = q + i;
  reference.append(keys, values, prompt_positions, prompt_tag);
  std::vector<int64_t> ids = question, positions;
  ids.insert(ids.end(), input.begin(), input.end());
  for (int64_t i = 0; i < q; ++i) positions.push_back(i);
  for (int64_t i = 0; i < n; ++i) positions.push_back(q + prompt + i);
  ForwardArgs args;
  args.input_ids = torch::tensor(ids, torch::kInt64).unsqueeze(0);
  args.position_ids = torch::tensor(positions, torch::kInt64).unsqueeze(0);
  args.cache = &reference;
  args.attention_mask =
      build_attention_mask({{{"", SegmentRole::kShared}, prompt, prompt + q},
                            {prompt_tag, 0, prompt},
                            {{"B", SegmentRole::kInput}, prompt + q, prompt + q + n}},
                           prompt, prompt + q + n, prompt + q + n);
  const auto expected = chain.base().forward(args).logits;
  EXPECT_LT(test::max_abs_diff(got.logits, expected), kTolerance);
  // The question's rows differ from causal ones, which would see the prompt.
  args.attention_mask = torch::Tensor();
  auto causal_cache = chain.base().make_cache(1);
  causal_cache.append(keys, values, prompt_positions, prompt_tag);
  args.cache = &causal_cache;
  EXPECT_GT(test::max_abs_diff(chain.base().forward(args).logits.narrow(1, 0, q),
                               expected.narrow(1, 0, q)),
            1e-3);
}

TEST(FthssMask, CausalAttentionIsExactFromTheFirstSegmentThatSeesAllBeforeIt) {
  const SegmentTag shared{"", SegmentRole::kShared}, prompt_a{"A", SegmentRole::kPrompt},
      input_a{"A", SegmentRole::kInput}, output_a{"A", SegmentRole::kOutput},
      prompt_b{"B", SegmentRole::kPrompt}, input_b{"B", SegmentRole::kInput};
  // The text chain's B: its deep prompt sits ahead of the question in the cache; the question
  // may not see it, B's input sees everything.
  EXPECT_EQ(causal_from({{shared, 7, 11}, {prompt_b, 0, 7}, {input_b, 11, 20}}, 0), 2u);
  // FTHSS's B after A: B's input may not see A's prompt and input, so no causal rest.
  const std::vector<Segment> after_a = {
      {shared, 0, 4}, {prompt_a, 4, 9}, {input_a, 9, 15}, {output_a, 15, 18}};
  auto fthss = after_a;
  fthss.push_back({prompt_b, 18, 25});
  fthss.push_back({input_b, 25, 30});
  EXPECT_EQ(causal_from(fthss, 4), fthss.size());
  // A alone, in slot order: causal from its first new segment.
  EXPECT_EQ(causal_from(after_a, 0), 0u);
  // Slots out of chain order are never causal, even for a segment that sees everything.
  EXPECT_EQ(causal_from({{input_a, 5, 9}, {output_a, 0, 5}}, 0), 2u);
}

TEST(FthssMask, OneMemberLayoutIsPlainCausal) {
  const std::vector<Segment> segments = {{{"A", SegmentRole::kPrompt}, 0, 4},
                                         {{"A", SegmentRole::kInput}, 4, 9},
                                         {{"A", SegmentRole::kOutput}, 9, 12}};
  const auto mask = build_attention_mask(segments, 0, 12, 12)[0][0];
  EXPECT_TRUE(mask.equal(torch::ones({12, 12}, torch::kBool).tril()));
  EXPECT_TRUE(sees_everything(segments, {"A", SegmentRole::kOutput}));
  EXPECT_FALSE(sees_everything(segments, {"B", SegmentRole::kInput}));
}

TEST(FthssMask, OutputMustFollowItsMembersInput) {
  auto chain = make_chain(AdapterKind::kPrompt, 1);
  auto cache = chain.base().make_cache(1);
  const auto message = test::error_message([&] {
    chain.run(cache, {LayoutPart::prompt("B"), LayoutPart::output("B", {5, 6}, 2, true)});
  });
  EXPECT_NE(message.find("output of B must directly follow an input of B"), std::string::npos)
      << message;
  EXPECT_NE(test::error_message([&] {
              chain.run(cache, {LayoutPart::prompt("C")});
            }).find("'C' has no adapter"),
            std::string::npos);
}

}  // namespace
}  // namespace kvchain
