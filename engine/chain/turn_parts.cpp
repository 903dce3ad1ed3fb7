#include "engine/chain/turn_parts.h"

#include "engine/io/error.h"

namespace kvchain {

std::vector<LayoutPart> turn_parts(const ChainModel& model, const RunnerOptions& options,
                                   const TurnPlan& plan, const std::vector<int64_t>& shared,
                                   bool first_turn, std::set<std::string>& prompted) {
  if (plan.input_ids.empty()) throw Error("chain turn of " + plan.member + " has no input");
  std::vector<LayoutPart> parts;
  const bool text = options.mode == ChainMode::kText;
  const bool fresh = text || first_turn;
  if (fresh && !text) {
    for (const auto& member : options.prompts_first) {
      parts.push_back(LayoutPart::prompt(member));
      prompted.insert(member);
    }
  }
  if (fresh && !shared.empty())
    parts.push_back(LayoutPart::tokens({"", SegmentRole::kShared}, shared));
  if (model.has_adapter(plan.member) && (text || prompted.insert(plan.member).second)) {
    parts.push_back(LayoutPart::prompt(plan.member));
  }
  parts.push_back(LayoutPart::tokens({plan.member, SegmentRole::kInput}, plan.input_ids));
  return parts;
}

TurnSlots turn_slots(ChainModel& model, const std::vector<LayoutPart>& parts,
                     const TurnPlan& plan) {
  TurnSlots slots;
  for (const auto& part : parts) {
    const bool prompt = part.tag.role == SegmentRole::kPrompt;
    const int64_t length =
        prompt ? model.adapter(part.tag.member).size() : static_cast<int64_t>(part.ids.size());
    (prompt && model.adapter(part.tag.member).deep() ? slots.deep : slots.tokens) += length;
  }
  slots.output = plan.forced_output.empty() ? plan.max_new_tokens
                                            : static_cast<int64_t>(plan.forced_output.size());
  return slots;
}

}  // namespace kvchain
