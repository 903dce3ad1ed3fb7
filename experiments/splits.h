#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain::experiments {

// A task split's records with their "file:line" names.
struct Records {
  std::vector<Json> records;
  std::vector<std::string> where;
  std::string content_hash;  // of the file, for cache keys and resume checks
};

// DATA_DIR/TASK/SPLIT.jsonl, strictly parsed (a malformed line is an Error naming it); the
// first `limit` records, or all with 0.
Records load_split(const std::string& data_dir, const std::string& task, const std::string& split,
                   int64_t limit);

}  // namespace kvchain::experiments
