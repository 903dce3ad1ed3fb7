#include "engine/tokenizer/pipeline_json.h"

#include "engine/io/error.h"

namespace kvchain {
namespace {

void visit_component(
    const Json& json, const char* kind, const char* list_key, const std::string& where,
    const std::function<void(const Json&, const std::string&, const std::string&)>& visit) {
  if (!json.is_object()) throw Error(where + ": a " + kind + " must be an object");
  const auto type = json_string(require_field(json, "type", where), where + ".type");
  if (type != "Sequence") {
    visit(json, type, where);
    return;
  }
  const auto& list = require_field(json, list_key, where);
  if (!list.is_array()) throw Error(where + "." + list_key + " must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    visit_component(list[i], kind, list_key, where + "." + list_key + "[" + std::to_string(i) + "]",
                    visit);
  }
}

}  // namespace

void for_each_component(
    const Json& json, const char* kind, const char* list_key, const std::string& where,
    const std::function<void(const Json&, const std::string&, const std::string&)>& visit) {
  if (json.is_null()) return;
  if (!json.is_object()) {
    throw Error(where + " must be an object or null, not " + json.type_name());
  }
  visit_component(json, kind, list_key, where, visit);
}

}  // namespace kvchain
