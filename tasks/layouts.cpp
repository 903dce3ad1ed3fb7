#include "tasks/layouts.h"

#include "engine/io/error.h"
#include "engine/io/named_values.h"
#include "engine/io/text.h"
#include "tasks/text.h"

namespace kvchain::tasks {
namespace {
constexpr NamedValue<Training> kTrainings[] = {{Training::kStandard, "standard"},
                                               {Training::kFthss, "fthss"},
                                               {Training::kDistill, "distill"},
                                               {Training::kSingle, "single"}};

bool single_model(System system) {
  return system == System::kNative || system == System::kRag || system == System::kSingle;
}
}  // namespace

const char* training_name(Training training) {
  return name_of(kTrainings, training);
}

Training parse_training(const std::string& name) {
  return parse_name(kTrainings, name, "training method");
}

ChainMode chain_mode(System system) {
  return system == System::kShared || system == System::kSharedEvict ? ChainMode::kShared
                                                                     : ChainMode::kText;
}

std::vector<std::string> adapters_of(const Task& task, System system) {
  switch (system) {
    case System::kText:
    case System::kShared:
    case System::kSharedEvict:
      return task.members();
    case System::kDistill:
      return {kDistillMember};
    case System::kSingle:
      return {kSingleMember};
    case System::kNative:
    case System::kRag:
      break;
  }
  return {};
}

LayoutBuilder::LayoutBuilder(const Task& task, const Tokenizer& tokenizer, int64_t eos_token_id)
    : task_(task), tokenizer_(tokenizer), eos_(eos_token_id) {}

size_t LayoutBuilder::member_index(const std::string& member) const {
  const auto members = task_.members();
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i] == member) return i;
  }
  throw Error("task " + task_.name() + " has no member '" + member + "' (" + join_names(members) +
              ", " + kDistillMember + ", " + kSingleMember + ")");
}

std::vector<int64_t> LayoutBuilder::encode(const std::string& text, const std::string& what,
                                           const std::string& where) const {
  auto ids = tokenizer_.encode(text);
  if (ids.empty()) throw Error(where + ": the " + what + " is empty");
  return ids;
}

std::vector<int64_t> LayoutBuilder::shared_ids(const Json& record, const std::string& where) const {
  return tokenizer_.encode(task_.shared(record, where));
}

namespace {

// The turns of a record as training sees them: each turn's member and target, the targets
// standing in for the outputs that decide the next turn.
struct GoldTurns {
  std::vector<size_t> members;
  std::vector<std::string> targets;
  std::vector<std::string> before(size_t turn) const {
    return {targets.begin(), targets.begin() + static_cast<std::ptrdiff_t>(turn)};
  }
};

GoldTurns gold_turns(const Task& task, const Json& record, const std::string& where) {
  GoldTurns turns;
  while (auto member = task.member_of_turn(turns.targets.size(), turns.targets)) {
    turns.members.push_back(*member);
    turns.targets.push_back(task.target(record, where, turns.targets.size()));
  }
  return turns;
}

}  // namespace

std::vector<std::vector<LayoutPart>> LayoutBuilder::training(const Json& record,
                                                             const std::string& where,
                                                             const std::string& member,
                                                             Training training) const {
  const auto shared = shared_ids(record, where);
  const auto begin = [&](const std::vector<std::string>& prompts_first) {
    std::vector<LayoutPart> parts;
    for (const auto& name : prompts_first) parts.push_back(LayoutPart::prompt(name));
    if (!shared.empty()) parts.push_back(LayoutPart::tokens({"", SegmentRole::kShared}, shared));
    return parts;
  };
  const auto add_turn = [&](std::vector<LayoutPart>& parts, const std::string& name,
                            bool with_prompt, const std::string& input, const std::string& target,
                            bool loss) {
    if (with_prompt) parts.push_back(LayoutPart::prompt(name));
    parts.push_back(
        LayoutPart::tokens({name, SegmentRole::kInput}, encode(input, name + " input", where)));
    parts.push_back(
        LayoutPart::output(name, encode(as_output(target), name + " target", where), eos_, loss));
  };
  auto parts = begin({});
  if (training == Training::kDistill || member == kDistillMember) {
    add_turn(parts, kDistillMember, true, task_.distill_input(record, where),
             task_.distill_target(record, where), true);
    return {parts};
  }
  if (training == Training::kSingle || member == kSingleMember) {
    add_turn(parts, kSingleMember, true, task_.single_input(record, where, true),
             task_.golden_answers(record, where).front(), true);
    return {parts};
  }
  const auto members = task_.members();
  const auto gold = gold_turns(task_, record, where);
  if (training == Training::kFthss && task_.multi_round()) {
    // The cascade: every prompt first, then each turn under the FTHSS mask, all trained.
    if (member != kAllMembers) {
      throw Error("task " + task_.name() + " is multi-round: FTHSS trains all its members " +
                  "together (member '" + kAllMembers + "')");
    }
    parts = begin(members);
    for (size_t turn = 0; turn < gold.targets.size(); ++turn) {
      add_turn(parts, members[gold.members[turn]], false,
               task_.input(record, where, turn, ChainMode::kShared, gold.before(turn)),
               gold.targets[turn], true);
    }
    return {parts};
  }
  const size_t index = member_index(member);
  std::vector<std::vector<LayoutPart>> sequences;
  for (size_t turn = 0; turn < gold.targets.size(); ++turn) {
    if (gold.members[turn] != index) continue;
    parts = begin({});
    if (training == Training::kFthss) {
      // Single round: the earlier members' turns, frozen, then this member's.
      for (size_t t = 0; t < turn; ++t) {
        add_turn(parts, members[gold.members[t]], true,
                 task_.input(record, where, t, ChainMode::kShared, gold.before(t)), gold.targets[t],
                 false);
      }
    }
    const auto mode = training == Training::kFthss ? ChainMode::kShared : ChainMode::kText;
    add_turn(parts, member, true, task_.input(record, where, turn, mode, gold.before(turn)),
             gold.targets[turn], true);
    sequences.push_back(std::move(parts));
  }
  return sequences;
}

std::optional<TurnPlan> LayoutBuilder::next_turn(const Json& record, const std::string& where,
                                                 System system,
                                                 const std::vector<TurnRecord>& done) const {
  if (system == System::kDistill) {
    if (!done.empty()) return std::nullopt;
    return TurnPlan{kDistillMember, encode(task_.distill_input(record, where), "input", where),
                    task_.distill_max_new_tokens(), true};
  }
  const auto members = task_.members();
  if (single_model(system)) {
    if (!done.empty()) return std::nullopt;
    return TurnPlan{
        kSingleMember,
        encode(task_.single_input(record, where, system != System::kNative), "input", where),
        task_.max_new_tokens(members.size() - 1), true};
  }
  std::vector<std::string> earlier;
  for (const auto& turn : done) earlier.push_back(trim(turn.text));
  const auto member = task_.member_of_turn(done.size(), earlier);
  if (!member) return std::nullopt;
  // In a multi-round chain a member may always come again, so its context stays.
  TurnPlan plan{members[*member],
                encode(task_.input(record, where, done.size(), chain_mode(system), earlier),
                       members[*member] + " input", where),
                task_.max_new_tokens(*member), !task_.multi_round()};
  const bool last = !task_.multi_round() && *member + 1 == members.size();
  if (task_.forces_gold_earlier_turns() && !last) {
    plan.forced_output =
        encode(as_output(task_.target(record, where, done.size())), plan.member + " target", where);
  }
  return plan;
}

std::string LayoutBuilder::answer(System system, const std::vector<TurnRecord>& turns) const {
  if (turns.empty()) return "";
  if (system == System::kDistill) return task_.answer_from_distilled(turns.back().text);
  if (single_model(system)) return trim(turns.back().text);
  return task_.final_answer(turns.back().text);
}

}  // namespace kvchain::tasks
