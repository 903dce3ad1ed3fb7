#pragma once

#include <cstddef>
#include <string>

#include "engine/io/json_file.h"

namespace kvchain::tasks {

// The tag before every task's answer (paper Tables 7-10).
constexpr const char* kAnswerTag = "<answer_start>\n";

// `text` without leading and trailing whitespace.
std::string trim(const std::string& text);

// A record's own "passages" (a non-empty list of {"contents", ...}, a retrieval made
// beforehand) as a task input: "<retrieved>\n", then the first `limit` passages' contents (all
// with 0), each followed by a newline, as PassageSearch::retrieved writes a search's.
std::string record_passages(const Json& record, const std::string& where, size_t limit = 0);

// What follows the last `tag` in `output`, trimmed; all of `output` when the tag is missing.
std::string after_last(const std::string& output, const std::string& tag);

}  // namespace kvchain::tasks
