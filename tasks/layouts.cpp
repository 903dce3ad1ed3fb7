#include "tasks/layouts.h"

#include "engine/io/error.h"
#include "engine/io/named_values.h"
#include "engine/io/text.h"
#include "tasks/text.h"

namespace kvchain::tasks {
namespace {
constexpr NamedValue<Method> kMethods[] = {{Method::kStandard, "standard"},
                                           {Method::kFthss, "fthss"},
                                           {Method::kDistill, "distill"},
                                           {Method::kSingle, "single"}};
constexpr NamedValue<RunMode> kRunModes[] = {
    {RunMode::kText, "text"},     {RunMode::kShared, "shared"}, {RunMode::kDistill, "distill"},
    {RunMode::kNative, "native"}, {RunMode::kRag, "rag"},       {RunMode::kSingle, "single"}};

bool single_model(RunMode mode) {
  return mode == RunMode::kNative || mode == RunMode::kRag || mode == RunMode::kSingle;
}
}  // namespace

const char* method_name(Method method) {
  return name_of(kMethods, method);
}

Method parse_method(const std::string& name) {
  return parse_name(kMethods, name, "training method");
}

const char* run_mode_name(RunMode mode) {
  return name_of(kRunModes, mode);
}

RunMode parse_run_mode(const std::string& name) {
  return parse_name(kRunModes, name, "chain mode");
}

std::vector<std::string> adapters_of(const Task& task, RunMode mode) {
  switch (mode) {
    case RunMode::kText:
    case RunMode::kShared:
      return task.members();
    case RunMode::kDistill:
      return {kDistillMember};
    case RunMode::kSingle:
      return {kSingleMember};
    case RunMode::kNative:
    case RunMode::kRag:
      break;
  }
  return {};
}

LayoutBuilder::LayoutBuilder(const Task& task, const BpeTokenizer& tokenizer, int64_t eos_token_id)
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

std::vector<LayoutPart> LayoutBuilder::training(const Json& record, const std::string& where,
                                                const std::string& member, Method method) const {
  std::vector<LayoutPart> parts;
  const auto shared = shared_ids(record, where);
  if (!shared.empty()) parts.push_back(LayoutPart::tokens({"", SegmentRole::kShared}, shared));
  const auto member_parts = [&](const std::string& name, const std::string& input,
                                const std::string& target, bool loss) {
    parts.push_back(LayoutPart::prompt(name));
    parts.push_back(
        LayoutPart::tokens({name, SegmentRole::kInput}, encode(input, name + " input", where)));
    parts.push_back(LayoutPart::output(name, encode(target, name + " target", where), eos_, loss));
  };
  if (method == Method::kDistill || member == kDistillMember) {
    member_parts(kDistillMember, task_.distill_input(record, where),
                 task_.distill_target(record, where), true);
    return parts;
  }
  const auto members = task_.members();
  if (method == Method::kSingle || member == kSingleMember) {
    member_parts(kSingleMember, task_.single_input(record, where, true),
                 task_.target(record, where, members.size() - 1), true);
    return parts;
  }
  const size_t index = member_index(member);
  std::vector<std::string> earlier;
  for (size_t i = 0; i < index; ++i) earlier.push_back(task_.target(record, where, i));
  if (method == Method::kFthss) {
    for (size_t i = 0; i < index; ++i) {
      const std::vector<std::string> before(earlier.begin(), earlier.begin() + i);
      member_parts(members[i], task_.input(record, where, i, ChainMode::kShared, before),
                   earlier[i], false);
    }
    member_parts(member, task_.input(record, where, index, ChainMode::kShared, earlier),
                 task_.target(record, where, index), true);
  } else {
    member_parts(member, task_.input(record, where, index, ChainMode::kText, earlier),
                 task_.target(record, where, index), true);
  }
  return parts;
}

std::optional<TurnPlan> LayoutBuilder::next_turn(const Json& record, const std::string& where,
                                                 RunMode mode,
                                                 const std::vector<TurnRecord>& done) const {
  if (mode == RunMode::kDistill) {
    if (!done.empty()) return std::nullopt;
    return TurnPlan{kDistillMember, encode(task_.distill_input(record, where), "input", where),
                    task_.distill_max_new_tokens(), true};
  }
  const auto members = task_.members();
  if (single_model(mode)) {
    if (!done.empty()) return std::nullopt;
    return TurnPlan{
        kSingleMember,
        encode(task_.single_input(record, where, mode != RunMode::kNative), "input", where),
        task_.max_new_tokens(members.size() - 1), true};
  }
  const size_t index = done.size();
  if (index >= members.size()) return std::nullopt;
  std::vector<std::string> earlier;
  for (const auto& turn : done) earlier.push_back(trim(turn.text));
  const auto chain_mode = mode == RunMode::kShared ? ChainMode::kShared : ChainMode::kText;
  return TurnPlan{members[index],
                  encode(task_.input(record, where, index, chain_mode, earlier),
                         members[index] + " input", where),
                  task_.max_new_tokens(index), true};
}

std::string LayoutBuilder::answer(RunMode mode, const std::vector<TurnRecord>& turns) const {
  if (turns.empty()) return "";
  if (mode == RunMode::kDistill) return task_.answer_from_distilled(turns.back().text);
  return trim(turns.back().text);
}

}  // namespace kvchain::tasks
