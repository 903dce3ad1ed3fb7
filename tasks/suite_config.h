#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvchain::tasks {

// A suite: tasks × methods × seeds on one world and base model. Read from JSON:
//   {"name": "smoke", "data": "results/world", "base": "data/base", "tasks": [...],
//    "methods": ["native", "rag", "single", "text", "distill", "shared", "shared-evict"],
//    "seeds": [0], "epochs": 3, "answer_epochs": 10, "train_limit": 0, "test_limit": 0,
//    "device": "cpu", "results": "results"}
// Every key is checked before any training: an unknown key, task or method, or a missing
// directory is an Error naming it.
struct SuiteConfig {
  std::string name, data_dir, base_dir = "data/base", device = "cpu", results_dir = "results";
  std::vector<std::string> tasks, methods;
  std::vector<int64_t> seeds = {0};
  int64_t epochs = 3;          // first members, distill and the single model
  int64_t answer_epochs = 10;  // the last member, as a text-chain and as an FTHSS member
  int64_t train_limit = 0, test_limit = 0;  // 0: the whole split

  std::string run_dir() const { return results_dir + "/" + name; }
};

SuiteConfig read_suite_config(const std::string& path);

// The suite's method names, in the tables' order.
const std::vector<std::string>& suite_methods();

}  // namespace kvchain::tasks
