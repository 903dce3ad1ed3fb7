// The chain runner's modes against each other on the tiny-llama fixture with random prompts.
#include <gtest/gtest.h>

#include "engine/chain/chain_runner.h"
#include "engine/model/checkpoint.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

struct Fixture {
  // float32 on every device: the tests compare greedy texts of runs whose caches were computed
  // by different kernels (a replayed output's prefill against its decode steps), and bfloat16's
  // logits of this random model tie at some steps (a GPU run showed a top-2 margin of 0).
  std::shared_ptr<LlamaForCausalLM> base =
      load_model(test::tiny_llama_dir(), test::test_device(), torch::kFloat32);
  Tokenizer tokenizer = Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json");
  ChainModel chain{base};

  explicit Fixture(AdapterKind kind) {
    base->eval();
    torch::manual_seed(5);
    for (const auto& member : {"A", "B"}) {
      chain.set_adapter(
          member, test::random_adapter(*base, kind, 6, kind == AdapterKind::kPrompt ? 1.0 : 0.5));
    }
  }

  // A multi-round chain's runner: every prompt first, in shared mode.
  ChainRunner cascade_runner() {
    RunnerOptions options;
    options.eos_token_id = 2;
    options.prompts_first = {"A", "B"};
    return ChainRunner(chain, &tokenizer, options);
  }

  ChainRunner runner(ChainMode mode, bool evict) {
    RunnerOptions options;
    options.mode = mode;
    options.evict = evict;
    options.eos_token_id = 2;
    return ChainRunner(chain, &tokenizer, options);
  }

  // `forced`: outputs the turns replay instead of decoding, by turn (empty: decode).
  std::vector<TurnRecord> run(ChainMode mode, bool evict, const std::vector<std::string>& members,
                              const std::vector<std::vector<int64_t>>& forced = {}) {
    auto fresh = runner(mode, evict);
    return run_on(fresh, mode, members, forced);
  }

  std::vector<TurnRecord> run_on(ChainRunner& runner, ChainMode mode,
                                 const std::vector<std::string>& members,
                                 const std::vector<std::vector<int64_t>>& forced = {}) {
    return runner.run(tokenizer.encode("Shared question text."),
                      [&](const std::vector<TurnRecord>& done) -> std::optional<TurnPlan> {
                        if (done.size() == members.size()) return std::nullopt;
                        const auto& member = members[done.size()];
                        std::string input = "Input of " + member + ".";
                        // The text chain passes the earlier output on as text.
                        if (mode == ChainMode::kText && !done.empty()) input += done.back().text;
                        TurnPlan plan{member, tokenizer.encode(input), 8, true};
                        if (done.size() < forced.size()) plan.forced_output = forced[done.size()];
                        return plan;
                      });
  }
};

class ChainRunnerModes : public ::testing::TestWithParam<AdapterKind> {};

TEST_P(ChainRunnerModes, OneMemberChainIsTheSameInTextAndSharedModes) {
  Fixture f(GetParam());
  const auto text = f.run(ChainMode::kText, false, {"A"});
  const auto shared = f.run(ChainMode::kShared, false, {"A"});
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0].text, shared[0].text);
  EXPECT_EQ(text[0].decoded, shared[0].decoded);
  EXPECT_EQ(text[0].prefilled, shared[0].prefilled);
  EXPECT_FALSE(text[0].text.empty());
}

TEST_P(ChainRunnerModes, EvictionKeepsOutputsAndFreesTheFinishedMembersContext) {
  Fixture f(GetParam());
  const auto kept = f.run(ChainMode::kShared, false, {"A", "B"});
  const auto evicted = f.run(ChainMode::kShared, true, {"A", "B"});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[1].text, evicted[1].text);
  EXPECT_EQ(kept[1].decoded, evicted[1].decoded);
  // A's prompt (6) and input are gone; B's own context goes after its turn.
  EXPECT_GT(evicted[0].evicted_slots, 6);
  EXPECT_LT(evicted[1].kv_bytes_resident, kept[1].kv_bytes_resident);
  EXPECT_LT(evicted[1].kv_bytes_peak, kept[1].kv_bytes_peak);
  // What eviction frees is bytes in use (the reports' KV columns), not the allocation: right
  // after A's turn the evicted run holds fewer bytes in use and the same buffers.
  const int64_t per_slot = f.base->config().kv_bytes_per_token(4);
  EXPECT_EQ(kept[0].kv_bytes_resident - evicted[0].kv_bytes_resident,
            evicted[0].evicted_slots * per_slot);
  EXPECT_EQ(evicted[0].kv_bytes_allocated, kept[0].kv_bytes_allocated);
}

// A multi-round cascade's outputs, turn by turn, equal a step-by-step reference: the same parts
// appended to one cache by ChainModel::run, each token the argmax of the last logits, an output
// that ends at its budget (not at EOS) cached whole, as the runner caches it.
TEST_P(ChainRunnerModes, CascadeOutputsEqualAStepByStepReference) {
  Fixture f(GetParam());
  auto runner = f.cascade_runner();
  const std::vector<std::string> rounds = {"A", "B", "A", "B"};
  constexpr int64_t kBudget = 5;
  const auto shared = f.tokenizer.encode("Shared question text.");
  const auto input_of = [&](size_t turn) {
    return f.tokenizer.encode("Turn " + std::to_string(turn) + ":");
  };
  const auto turns =
      runner.run(shared, [&](const std::vector<TurnRecord>& done) -> std::optional<TurnPlan> {
        if (done.size() == rounds.size()) return std::nullopt;
        return TurnPlan{rounds[done.size()], input_of(done.size()), kBudget, false};
      });
  ASSERT_EQ(turns.size(), rounds.size());

  torch::NoGradGuard no_grad;
  auto cache = f.base->make_cache(1);
  for (size_t turn = 0; turn < rounds.size(); ++turn) {
    const auto& member = rounds[turn];
    std::vector<LayoutPart> parts;
    if (turn == 0) {
      parts = {LayoutPart::prompt("A"), LayoutPart::prompt("B"),
               LayoutPart::tokens({"", SegmentRole::kShared}, shared)};
    }
    parts.push_back(LayoutPart::tokens({member, SegmentRole::kInput}, input_of(turn)));
    auto logits = f.chain.run(cache, parts, /*last_logits_only=*/true).logits;
    std::vector<int64_t> expected;
    while (true) {
      const int64_t token = logits[0][-1].argmax().item<int64_t>();
      expected.push_back(token);
      if (token == 2) break;  // EOS ends the output and is not cached
      logits = f.chain.run(cache, {LayoutPart::output(member, {token}, -1, false)}, true).logits;
      if (static_cast<int64_t>(expected.size()) == kBudget) break;
    }
    EXPECT_EQ(turns[turn].output_ids, expected) << "turn " << turn;
  }
}

TEST_P(ChainRunnerModes, SharedModeDoesNotPrefillTheEarlierOutputAgain) {
  Fixture f(GetParam());
  const auto text = f.run(ChainMode::kText, false, {"A", "B"});
  const auto shared = f.run(ChainMode::kShared, false, {"A", "B"});
  EXPECT_EQ(text[0].prefilled, shared[0].prefilled);
  // Text mode: B prefills the shared content and A's output again; shared mode only B's own
  // prompt (6 virtual tokens, when shallow: a deep prompt's keys are stored, not computed) and
  // input.
  const int64_t prompt = GetParam() == AdapterKind::kPrompt ? 6 : 0;
  const auto count = [&](const std::string& text) {
    return static_cast<int64_t>(f.tokenizer.encode(text).size());
  };
  EXPECT_EQ(shared[1].prefilled, prompt + count("Input of B."));
  EXPECT_EQ(text[1].prefilled,
            count("Shared question text.") + prompt + count("Input of B." + text[0].text));
}

TEST_P(ChainRunnerModes, MultiRoundPutsEveryPromptFirstOnce) {
  Fixture f(GetParam());
  auto runner = f.cascade_runner();
  const std::vector<std::string> rounds = {"A", "B", "A"};
  const auto turns =
      runner.run(f.tokenizer.encode("Shared question text."),
                 [&](const std::vector<TurnRecord>& done) -> std::optional<TurnPlan> {
                   if (done.size() == rounds.size()) return std::nullopt;
                   return TurnPlan{rounds[done.size()], f.tokenizer.encode("Go."), 4, false};
                 });
  ASSERT_EQ(turns.size(), 3u);
  const int64_t prompt = GetParam() == AdapterKind::kPrompt ? 6 : 0;
  const auto go = static_cast<int64_t>(f.tokenizer.encode("Go.").size());
  const auto shared = static_cast<int64_t>(f.tokenizer.encode("Shared question text.").size());
  EXPECT_EQ(turns[0].prefilled, 2 * prompt + shared + go);
  EXPECT_EQ(turns[1].prefilled, go);
  EXPECT_EQ(turns[2].prefilled, go);
}

TEST_P(ChainRunnerModes, AReplayedOutputLeavesTheNextMemberAsDecodingItDid) {
  Fixture f(GetParam());
  for (const auto mode : {ChainMode::kShared, ChainMode::kText}) {
    const auto decoded = f.run(mode, false, {"A", "B"});
    auto a_ids = decoded[0].output_ids;
    if (a_ids.back() == 2) a_ids.pop_back();  // an EOS ends the output; it is not cached
    ASSERT_FALSE(a_ids.empty());
    const auto replayed = f.run(mode, false, {"A", "B"}, {a_ids});
    EXPECT_EQ(replayed[0].decoded, 0);
    EXPECT_EQ(replayed[0].prefilled, decoded[0].prefilled + static_cast<int64_t>(a_ids.size()));
    EXPECT_EQ(replayed[1].text, decoded[1].text) << chain_mode_name(mode);
    if (mode == ChainMode::kShared) {  // a text chain does not cache its last decoded token
      EXPECT_EQ(replayed[1].kv_bytes_resident, decoded[1].kv_bytes_resident);
    }
    EXPECT_GE(replayed[1].kv_bytes_allocated, replayed[1].kv_bytes_resident);
  }
}

TEST_P(ChainRunnerModes, AnExampleOfTheSameLengthsSetsUpNoNewStepForm) {
  // It refills the previous example's caches, so a GPU replays the graphs recorded for them.
  Fixture f(GetParam());
  for (const auto mode : {ChainMode::kShared, ChainMode::kText}) {
    auto runner = f.runner(mode, false);
    const auto first = f.run_on(runner, mode, {"A", "B"});
    const auto forms = runner.steps().forms();
    EXPECT_GT(forms, 0);
    const auto second = f.run_on(runner, mode, {"A", "B"});
    EXPECT_EQ(second[1].text, first[1].text) << chain_mode_name(mode);
    EXPECT_EQ(runner.steps().forms(), forms) << chain_mode_name(mode);
  }
}

INSTANTIATE_TEST_SUITE_P(AdapterKinds, ChainRunnerModes,
                         ::testing::Values(AdapterKind::kPrompt, AdapterKind::kPrefix),
                         [](const auto& info) { return adapter_kind_name(info.param); });

}  // namespace
}  // namespace kvchain
