#include "tasks/text.h"

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

}  // namespace kvchain::tasks
