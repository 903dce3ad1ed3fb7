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
    value = parse_json_line(text, where_);
    return true;
  }
  if (in_.bad()) throw Error(path_ + ": read error after line " + std::to_string(line_));
  return false;
}

}  // namespace kvchain
