#pragma once

#include <set>
#include <string>
#include <vector>

#include "engine/chain/chain_model.h"
#include "engine/chain/chain_runner.h"

namespace kvchain {

// The parts a chain turn appends, the same for one example at a time (ChainRunner) and for a
// batch (BatchRunner). Text mode: the member's whole context from an empty cache (the shared
// content, its prompt, its input). Shared mode: what the chain's one cache lacks: at the first
// turn the prompts that go first and the shared content, at a member's first turn its prompt,
// and always its input. `prompted` holds the members whose prompt the shared cache has, and is
// updated.
std::vector<LayoutPart> turn_parts(const ChainModel& model, const RunnerOptions& options,
                                   const TurnPlan& plan, const std::vector<int64_t>& shared,
                                   bool first_turn, std::set<std::string>& prompted);

// The cache slots a turn needs after the ones it starts from: its parts (deep prompts included)
// and its output (forced, or up to max_new_tokens decoded), and of those the tokens that go
// through the model (deep prompts do not).
struct TurnSlots {
  int64_t deep = 0, tokens = 0, output = 0;
};
TurnSlots turn_slots(ChainModel& model, const std::vector<LayoutPart>& parts, const TurnPlan& plan);

}  // namespace kvchain
