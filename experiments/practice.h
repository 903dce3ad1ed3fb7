#pragma once

#include <string>
#include <vector>

namespace kvchain::experiments {

// Reading practice for pretraining a base model: every training record of `task` in each world
// as one {"text": ...} JSONL document, laid out exactly as the distilled chain reads and writes
// it (shared content, the first member's input, every step and the answer), prompts left out.
// Worlds other than the one evaluated teach the base to read this layout without seeing its
// answers. Returns the number of documents written (atomically) to `out_path`.
size_t write_practice(const std::string& task, const std::vector<std::string>& world_dirs,
                      const std::string& out_path);

}  // namespace kvchain::experiments
