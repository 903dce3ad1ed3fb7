#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain::experiments {

// How well a base model reads: greedy answers to the probe items of worlds it never saw
// (probe.jsonl of `kvchain data generate`: {"layout", "prompt", "answers"}), scored by exact
// match (SQuAD normalisation), per layout. The answer is the continuation up to the first line
// break, at most 16 tokens.
struct ProbeLayout {
  std::string layout;
  int64_t n = 0;
  double exact = 0;  // percent
};

struct ProbeReport {
  std::vector<ProbeLayout> layouts;  // in the order the items first name them
  Json to_json() const;
  std::string table() const;  // Markdown: layout, n, exact answers
};

ProbeReport run_reading_probe(const std::string& base_dir, const std::vector<std::string>& items,
                              const std::string& device);

}  // namespace kvchain::experiments
