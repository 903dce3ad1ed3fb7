#pragma once

#include <functional>
#include <string>

#include "engine/io/json_file.h"

namespace kvchain {

// The components of a tokenizer.json normalizer, pre_tokenizer or decoder (`kind`, as errors
// name it), in order, a Sequence's (its `list_key` list) flattened: visit(component, its type,
// where it is). A null `json` has none; anything but an object or null is an Error naming
// `where`.
void for_each_component(
    const Json& json, const char* kind, const char* list_key, const std::string& where,
    const std::function<void(const Json&, const std::string&, const std::string&)>& visit);

}  // namespace kvchain
