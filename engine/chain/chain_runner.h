#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/chain/chain_model.h"
#include "engine/io/json_file.h"

namespace kvchain {

// How a chain passes work from member to member:
//   text:    each member gets the earlier members' text and prefills it again in a cache of its
//            own (the classic chain of models; also a single model, e.g. the distilled one);
//   shared:  FTHSS, Algorithm 1: one cache for the whole chain; each member appends its prompt
//            and input and decodes, and the next member reads that cache directly.
enum class ChainMode { kText, kShared };
const char* chain_mode_name(ChainMode mode);

// One member's turn, as the task plans it.
struct TurnPlan {
  TurnPlan() = default;
  TurnPlan(std::string member, std::vector<int64_t> input_ids, int64_t max_new_tokens,
           bool member_done)
      : member(std::move(member)),
        input_ids(std::move(input_ids)),
        max_new_tokens(max_new_tokens),
        member_done(member_done) {}

  std::string member;
  std::vector<int64_t> input_ids;  // the member's input part (non-empty)
  int64_t max_new_tokens = 64;
  bool member_done = true;  // the member has no later turn (its context may be evicted)
  // When set, the member's output is these ids, prefilled with its input instead of decoded:
  // a chain replayed from recorded outputs (gold ones, or a benchmark's fixed lengths).
  std::vector<int64_t> forced_output;
};

// What a turn cost and produced; the benchmark and the reports read these.
struct TurnRecord {
  std::string member;
  std::string text;
  std::vector<int64_t> output_ids;  // the output's tokens (a final EOS included)
  int64_t prefilled = 0;  // tokens that went through the model (prompt and shared included)
  int64_t decoded = 0;
  double prefill_seconds = 0;
  double decode_seconds = 0;
  int64_t kv_bytes_resident = 0;  // held by the runner when the turn ended (after eviction)
  int64_t kv_bytes_peak = 0;      // the most held at any point up to then
  // The bytes of the cache tensors the runner holds when the turn ended (their allocated
  // storage, rounded up to 64 slots, or an earlier longer example's if its buffers were
  // refilled), next to the slots' bytes above.
  int64_t kv_bytes_allocated = 0;
  int64_t evicted_slots = 0;
  Json to_json() const;
};

struct RunnerOptions {
  ChainMode mode = ChainMode::kShared;
  // Shared mode: drop a finished member's prompt and input from the cache. Later members never
  // attend to them, and the kept keys already carry their RoPE rotation, so outputs are
  // unchanged; the reference implementation keeps them.
  bool evict = false;
  int64_t eos_token_id = -1;
  // Shared mode, multi-round chains (the paper's cascade): these members' prompts go first,
  // before the shared content, and stay for every round. Otherwise a member's prompt is
  // appended at its first turn.
  std::vector<std::string> prompts_first;
};

class ChainRunner {
 public:
  // Without a tokenizer (nullptr) turns carry output ids and no text: a benchmark's random-weight
  // model may emit ids no tokenizer knows.
  ChainRunner(ChainModel& model, const Tokenizer* tokenizer, RunnerOptions options);

  // Runs one example: `shared` content (may be empty) once, then the turns that `next_turn`
  // plans from the turns so far, until it returns nothing.
  std::vector<TurnRecord> run(
      const std::vector<int64_t>& shared,
      const std::function<std::optional<TurnPlan>(const std::vector<TurnRecord>&)>& next_turn);

  const ShapeStableSteps& steps() const { return steps_; }

 private:
  ChainModel& model_;
  const Tokenizer* tokenizer_;
  RunnerOptions options_;
  ShapeStableSteps steps_;  // shared by every turn and example, so its CUDA graphs are reused
  // The caches of the last example, by member ("" for the shared one): the next example refills
  // their buffers instead of allocating new ones, so its decode steps replay the same graphs.
  std::map<std::string, KVCache> spare_caches_;

  KVCache take_cache(const std::string& key);
};

}  // namespace kvchain
