#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "engine/io/json_file.h"

namespace kvchain {

// Streams a JSONL file one record at a time (one line in memory), skipping blank lines; a line
// that is not JSON is an Error naming FILE:LINE. For lenient loading with skip reports see
// data/loaders/record_reader.h.
class JsonlReader {
 public:
  // `what` names the file's role in the error when it cannot be opened ("the corpus").
  JsonlReader(std::string path, const std::string& what);
  // False at the end of the file.
  bool next(Json& value);
  // "FILE:LINE" of the record last returned, for the caller's field errors.
  const std::string& where() const { return where_; }
  int64_t line() const { return line_; }  // of the record last read
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ifstream in_;
  int64_t line_ = 0;
  std::string where_;
};

}  // namespace kvchain
