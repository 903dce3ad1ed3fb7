#include "engine/io/jsonl_reader.h"

#include "engine/io/error.h"

namespace kvchain {

JsonlReader::JsonlReader(std::string path, const std::string& what)
    : path_(std::move(path)), in_(path_) {
  if (!in_) throw Error(path_ + ": cannot open " + what);
}

bool JsonlReader::next(Json& value) {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    where_ = path_ + ":" + std::to_string(line_);
    // Parsed JSON takes many times its text's memory: a runaway line is refused, not parsed.
    constexpr size_t kMaxLine = size_t{64} << 20;
    if (text.size() > kMaxLine) {
      throw Error(where_ + ": a line of " + std::to_string(text.size() >> 20) +
                  " MiB; a JSONL record is at most 64 MiB");
    }
    value = parse_json_line(text, where_);
    return true;
  }
  if (in_.bad()) throw Error(path_ + ": read error after line " + std::to_string(line_));
  return false;
}

}  // namespace kvchain
