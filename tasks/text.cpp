#include "tasks/text.h"

#include "engine/io/error.h"

namespace kvchain::tasks {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string after_last(const std::string& output, const std::string& tag) {
  const auto at = output.rfind(tag);
  return trim(at == std::string::npos ? output : output.substr(at + tag.size()));
}

std::string string_field(const Json& record, const char* key, const std::string& where) {
  return json_string(require_field(record, key, where), where + ": field '" + key + "'");
}

std::vector<std::string> string_list_field(const Json& record, const char* key,
                                           const std::string& where) {
  const auto& list = require_field(record, key, where);
  if (!list.is_array() || list.empty()) {
    throw Error(where + ": field '" + key + "' must be a non-empty list");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    out.push_back(json_string(list[i], where + ": " + key + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace kvchain::tasks
