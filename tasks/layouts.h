#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/chain/chain_model.h"
#include "engine/chain/chain_runner.h"
#include "engine/tokenizer/tokenizer.h"
#include "eval/system.h"
#include "tasks/task.h"

namespace kvchain::tasks {

// How a member is trained:
//   standard: prompt tuning on [shared][P_i][input with the earlier members' text][output]
//             (the first member of every chain, and each member of the text chain);
//   fthss:    [shared][P_A][x_A][y_A] ... [P_i][x_i][y_i] under the FTHSS mask: the member reads
//             the earlier members' outputs as cache, and only y_i is trained; in a multi-round
//             task, the cascade [P_A][P_B]...[shared][x_1][y_1][x_2][y_2]... trains every
//             member's prompt at once on every output (member kAllMembers);
//   distill:  one model, [shared][P][first input][every step and the answer];
//   single:   the Prompt Tuning baseline, one model, [shared][P][retrieved passages][answer].
enum class Training { kStandard, kFthss, kDistill, kSingle };
const char* training_name(Training training);
Training parse_training(const std::string& name);

using eval::System;
// How a system runs its members: FTHSS's shared cache (with or without eviction), or a cache per
// member with the earlier outputs as text (the text chain and every single model).
ChainMode chain_mode(System system);

inline constexpr const char* kDistillMember = "distill";
inline constexpr const char* kSingleMember = "single";
inline constexpr const char* kAllMembers = "all";

// The adapters a system reads, by member name (none for native and rag).
std::vector<std::string> adapters_of(const Task& task, System system);

// Tokenises a task's texts into layout parts.
class LayoutBuilder {
 public:
  LayoutBuilder(const Task& task, const Tokenizer& tokenizer, int64_t eos_token_id);

  // The training sequences of `member` (a task member, kDistillMember, kSingleMember, or
  // kAllMembers for a multi-round FTHSS cascade) for one record: one per turn the member takes
  // (none when it takes no turn), or one for the whole cascade.
  std::vector<std::vector<LayoutPart>> training(const Json& record, const std::string& where,
                                                const std::string& member, Training training) const;

  std::vector<int64_t> shared_ids(const Json& record, const std::string& where) const;
  // The next turn of a run given the turns so far (nothing once the chain is done); a turn
  // before a single-round chain's last one replays its gold target when the task forces it.
  std::optional<TurnPlan> next_turn(const Json& record, const std::string& where, System system,
                                    const std::vector<TurnRecord>& done) const;
  // The final answer of a finished run.
  std::string answer(System system, const std::vector<TurnRecord>& turns) const;

  size_t member_index(const std::string& member) const;

 private:
  std::vector<int64_t> encode(const std::string& text, const std::string& what,
                              const std::string& where) const;

  const Task& task_;
  const Tokenizer& tokenizer_;
  int64_t eos_;
};

}  // namespace kvchain::tasks
