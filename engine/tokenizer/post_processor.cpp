#include "engine/tokenizer/post_processor.h"

#include "engine/io/error.h"
#include "engine/tokenizer/pipeline_json.h"
#include "engine/tokenizer/token_model.h"

namespace kvchain {
namespace {

// The id of a ["token", id] pair (BertProcessing's and RobertaProcessing's cls and sep).
int64_t pair_id(const Json& json, const char* key, const std::string& where) {
  const auto& pair = require_field(json, key, where);
  const auto at = where + "." + key;
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
    throw Error(at + " must be [\"token\", id]");
  }
  return checked_token_id(json_int(pair[1], at + "[1]"), at + "[1]");
}

// The ids TemplateProcessing's special_tokens give the token named `name`.
std::vector<int64_t> template_token_ids(const Json& json, const std::string& name,
                                        const std::string& where) {
  const auto& specials = require_field(json, "special_tokens", where);
  if (!specials.is_object() || !specials.contains(name)) {
    throw Error(where + ".special_tokens has no \"" + name + "\"");
  }
  const auto at = where + ".special_tokens[\"" + name + "\"]";
  const auto& ids = require_field(specials[name], "ids", at);
  if (!ids.is_array()) throw Error(at + ".ids must be a list");
  std::vector<int64_t> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto id_at = at + ".ids[" + std::to_string(i) + "]";
    out.push_back(checked_token_id(json_int(ids[i], id_at), id_at));
  }
  return out;
}

}  // namespace

PostProcessor PostProcessor::from_json(const Json& json, const std::string& where) {
  PostProcessor p;
  for_each_component(json, "post_processor", "processors", where,
                     [&](const Json& step, const std::string& type, const std::string& at) {
                       p.add(step, type, at);
                     });
  return p;
}

void PostProcessor::add(const Json& json, const std::string& type, const std::string& where) {
  std::vector<int64_t> before, after;
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    before = {pair_id(json, "cls", where)};
    after = {pair_id(json, "sep", where)};
  } else if (type == "TemplateProcessing") {
    const auto& single = require_field(json, "single", where);
    if (!single.is_array()) throw Error(where + ".single must be a list");
    bool sequence_seen = false;
    for (size_t i = 0; i < single.size(); ++i) {
      const auto at = where + ".single[" + std::to_string(i) + "]";
      const auto& piece = single[i];
      if (piece.is_object() && piece.contains("Sequence")) {
        if (sequence_seen) throw Error(at + ": a single template holds one Sequence");
        sequence_seen = true;
      } else if (piece.is_object() && piece.contains("SpecialToken")) {
        const auto name =
            json_string(require_field(piece["SpecialToken"], "id", at + ".SpecialToken"),
                        at + ".SpecialToken.id");
        const auto ids = template_token_ids(json, name, where);
        auto& side = sequence_seen ? after : before;
        side.insert(side.end(), ids.begin(), ids.end());
      } else {
        throw Error(at + " must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
      }
    }
    if (!sequence_seen) throw Error(where + ".single has no Sequence");
  } else if (type != "ByteLevel") {
    throw Error(where + ": unsupported post_processor '" + type +
                "' (kvchain supports TemplateProcessing, BertProcessing, RobertaProcessing, "
                "ByteLevel and Sequence)");
  }
  prefix_.insert(prefix_.begin(), before.begin(), before.end());
  suffix_.insert(suffix_.end(), after.begin(), after.end());
}

std::vector<int64_t> PostProcessor::wrap(const std::vector<int64_t>& ids) const {
  std::vector<int64_t> out(prefix_);
  out.insert(out.end(), ids.begin(), ids.end());
  out.insert(out.end(), suffix_.begin(), suffix_.end());
  return out;
}

}  // namespace kvchain
