#include "tasks/text.h"

#include <algorithm>

#include "engine/io/error.h"

namespace kvchain::tasks {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string record_passages(const Json& record, const std::string& where, size_t limit) {
  const auto& list = require_field(record, "passages", where);
  if (!list.is_array() || list.empty()) {
    throw Error(where + ": field 'passages' must be a non-empty list");
  }
  const size_t count = limit > 0 ? std::min(list.size(), limit) : list.size();
  std::string text = "<retrieved>\n";
  for (size_t i = 0; i < count; ++i) {
    text +=
        json_string_field(list[i], "contents", where + ": passages[" + std::to_string(i) + "]") +
        "\n";
  }
  return text;
}

std::string as_output(const std::string& target) {
  return " " + target;
}

std::string tagged(const std::string& tag, const std::string& output) {
  return tag + as_output(output);
}

std::string after_last(const std::string& output, const std::string& tag) {
  const auto at = output.rfind(tag);
  return trim(at == std::string::npos ? output : output.substr(at + tag.size()));
}

}  // namespace kvchain::tasks
