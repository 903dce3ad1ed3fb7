#pragma once

#include <string>

namespace kvchain::tasks {

// The tag before every task's answer (paper Tables 7-10).
constexpr const char* kAnswerTag = "<answer_start>\n";

// `text` without leading and trailing whitespace.
std::string trim(const std::string& text);

// What follows the last `tag` in `output`, trimmed; all of `output` when the tag is missing.
std::string after_last(const std::string& output, const std::string& tag);

}  // namespace kvchain::tasks
