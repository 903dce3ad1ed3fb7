// The batch runner against the one-example runner: the same turns, token for token, in every
// mode, with examples of different lengths, turn counts and budgets, more examples than rows
// (rows take new examples as theirs end) and fewer.
#include <gtest/gtest.h>

#include <map>

#include "engine/chain/batch_runner.h"
#include "engine/model/checkpoint.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

struct Setting {
  const char* name;
  AdapterKind kind;
  ChainMode mode;
  bool evict = false;
  bool cascade = false;  // every prompt first, A and B taking turns
  bool forced = false;   // even examples replay their first turn from a given output
};

class BatchRunnerModes : public ::testing::TestWithParam<Setting> {
 protected:
  // float32: the runners' caches come from different kernels (see test_chain_runner.cpp).
  std::shared_ptr<LlamaForCausalLM> base =
      load_model(test::tiny_llama_dir(), test::test_device(), torch::kFloat32);
  Tokenizer tokenizer = Tokenizer::from_file(test::tiny_llama_dir() + "/tokenizer.json");
  ChainModel chain{base};
  RunnerOptions options;

  void SetUp() override {
    base->eval();
    torch::manual_seed(11);
    const auto kind = GetParam().kind;
    for (const auto& member : {"A", "B"}) {
      chain.set_adapter(
          member, test::random_adapter(*base, kind, 5, kind == AdapterKind::kPrompt ? 1.0 : 0.5));
    }
    options.mode = GetParam().mode;
    options.evict = GetParam().evict;
    if (GetParam().cascade) options.prompts_first = {"A", "B"};
  }

  // Example i: its own shared text, one to four turns, budgets of 2 to 9 tokens.
  BatchRunner::Example example(size_t i) {
    static const char* kWords[] = {"river", "mountain", "old", "city", "library", "quiet", "red"};
    std::string shared = "Question";
    for (size_t w = 0; w <= i % 5; ++w) shared += std::string(" ") + kWords[(i + w) % 7];
    std::vector<std::string> members;
    if (GetParam().cascade) {
      members = {"A", "B", "A", "B"};
      members.resize(2 + i % 3);
    } else {
      members = i % 3 == 2 ? std::vector<std::string>{"B"} : std::vector<std::string>{"A", "B"};
      if (i % 4 == 1) members.push_back("A");
    }
    const auto mode = options.mode;
    const bool forced = GetParam().forced && i % 2 == 0;
    auto plan = [this, members, mode, forced,
                 i](const std::vector<TurnRecord>& done) -> std::optional<TurnPlan> {
      if (done.size() == members.size()) return std::nullopt;
      const auto& member = members[done.size()];
      std::string input = "Input " + std::to_string(done.size()) + " of " + member + ".";
      if (mode == ChainMode::kText && !done.empty()) input += done.back().text;
      const int64_t budget = 2 + static_cast<int64_t>((i * 5 + done.size() * 3) % 8);
      const bool last = done.size() + 1 == members.size();
      TurnPlan turn{member, tokenizer.encode(input), budget, last || member == "B"};
      if (forced && done.empty()) turn.forced_output = tokenizer.encode(" a given output");
      return turn;
    };
    return {tokenizer.encode(shared), plan};
  }

  std::vector<std::vector<TurnRecord>> one_at_a_time(size_t count) {
    ChainRunner runner(chain, &tokenizer, options);
    std::vector<std::vector<TurnRecord>> all;
    for (size_t i = 0; i < count; ++i) {
      auto e = example(i);
      all.push_back(runner.run(e.shared, e.next_turn));
    }
    return all;
  }

  std::vector<std::vector<TurnRecord>> batched(size_t count, int64_t batch) {
    BatchRunner runner(chain, &tokenizer, options, batch);
    std::vector<std::vector<TurnRecord>> all(count);
    std::vector<size_t> order;
    runner.run(
        count, [&](size_t i) { return example(i); },
        [&](size_t i, std::vector<TurnRecord> turns) {
          order.push_back(i);
          all.at(i) = std::move(turns);
        });
    EXPECT_EQ(order.size(), count);
    return all;
  }

  // The most frequent token of the one-at-a-time outputs becomes EOS, so that some turns end at
  // EOS and others at their budget.
  void choose_eos(size_t count) {
    options.eos_token_id = -1;
    std::map<int64_t, int> counts;
    for (const auto& turns : one_at_a_time(count)) {
      for (const auto& turn : turns) {
        for (size_t j = 1; j < turn.output_ids.size(); ++j) ++counts[turn.output_ids[j]];
      }
    }
    int best = 0;
    for (const auto& [token, n] : counts) {
      if (n > best) best = n, options.eos_token_id = token;
    }
  }
};

TEST_P(BatchRunnerModes, BatchedTurnsEqualOneAtATime) {
  constexpr size_t kExamples = 9;
  choose_eos(kExamples);
  const auto expected = one_at_a_time(kExamples);
  int eos_stops = 0, budget_stops = 0;
  for (const int64_t batch : {1, 4, 16}) {
    const auto got = batched(kExamples, batch);
    for (size_t i = 0; i < kExamples; ++i) {
      ASSERT_EQ(got[i].size(), expected[i].size()) << "example " << i << " batch " << batch;
      for (size_t t = 0; t < got[i].size(); ++t) {
        const auto& a = got[i][t];
        const auto& b = expected[i][t];
        const auto where = "example " + std::to_string(i) + " turn " + std::to_string(t) +
                           " batch " + std::to_string(batch);
        EXPECT_EQ(a.member, b.member) << where;
        EXPECT_EQ(a.output_ids, b.output_ids) << where;
        EXPECT_EQ(a.text, b.text) << where;
        EXPECT_EQ(a.prefilled, b.prefilled) << where;
        EXPECT_EQ(a.decoded, b.decoded) << where;
        EXPECT_EQ(a.evicted_slots, b.evicted_slots) << where;
        EXPECT_EQ(a.kv_bytes_resident, b.kv_bytes_resident) << where;
        EXPECT_EQ(a.kv_bytes_peak, b.kv_bytes_peak) << where;
        if (batch == 1 && a.decoded > 0) {
          (a.output_ids.back() == options.eos_token_id ? eos_stops : budget_stops)++;
        }
      }
    }
  }
  // The examples exercise both ways a turn ends.
  EXPECT_GT(eos_stops, 0);
  EXPECT_GT(budget_stops, 0);
  if (GetParam().evict) {
    int64_t evicted = 0;
    for (const auto& turns : expected) {
      for (const auto& turn : turns) evicted += turn.evicted_slots;
    }
    EXPECT_GT(evicted, 0);
  }
}

TEST(BatchRunner, RefusesABatchOfNoRows) {
  auto base = load_model(test::tiny_llama_dir(), test::test_device(), torch::kFloat32);
  ChainModel chain(base);
  EXPECT_THROW(BatchRunner(chain, nullptr, {}, 0), Error);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, BatchRunnerModes,
    ::testing::Values(
        Setting{"text_prompt", AdapterKind::kPrompt, ChainMode::kText},
        Setting{"shared_prompt", AdapterKind::kPrompt, ChainMode::kShared},
        Setting{"shared_prefix", AdapterKind::kPrefix, ChainMode::kShared},
        Setting{"text_prefix", AdapterKind::kPrefix, ChainMode::kText},
        Setting{"evict_prompt", AdapterKind::kPrompt, ChainMode::kShared, true},
        Setting{"evict_prefix", AdapterKind::kPrefix, ChainMode::kShared, true},
        Setting{"cascade_prompt", AdapterKind::kPrompt, ChainMode::kShared, false, true},
        Setting{"cascade_prefix", AdapterKind::kPrefix, ChainMode::kShared, false, true},
        Setting{"forced_shared", AdapterKind::kPrompt, ChainMode::kShared, false, false, true},
        Setting{"forced_text", AdapterKind::kPrompt, ChainMode::kText, false, false, true}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace kvchain
