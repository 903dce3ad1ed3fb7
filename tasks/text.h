#pragma once

#include <string>

namespace kvchain::tasks {

// `text` without leading and trailing whitespace.
std::string trim(const std::string& text);

}  // namespace kvchain::tasks
