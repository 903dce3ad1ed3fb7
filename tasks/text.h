#pragma once

#include <string>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain::tasks {

// The tag before every task's answer (paper Tables 7-10).
constexpr const char* kAnswerTag = "<answer_start>\n";

// `text` without leading and trailing whitespace.
std::string trim(const std::string& text);

// What follows the last `tag` in `output`, trimmed; all of `output` when the tag is missing.
std::string after_last(const std::string& output, const std::string& tag);

// A record's string field, and its non-empty list of strings; errors name `where` and the key.
std::string string_field(const Json& record, const char* key, const std::string& where);
std::vector<std::string> string_list_field(const Json& record, const char* key,
                                           const std::string& where);

}  // namespace kvchain::tasks
