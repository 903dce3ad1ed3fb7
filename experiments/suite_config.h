#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/adapters/adapter_kind.h"
#include "engine/io/json_file.h"
#include "eval/system.h"
#include "tasks/task_settings.h"

namespace kvchain::experiments {

// One task on one dataset of a suite. `dataset` is empty when the suite has a single "data"
// directory; then labels and file names are the task's alone.
struct SuiteJob {
  std::string task, dataset, dir;
  std::string label() const { return dataset.empty() ? task : task + " " + dataset; }
  std::string stem() const { return dataset.empty() ? task : task + "-" + dataset; }
};

// A suite: tasks × datasets × methods × seeds on one base model. Read from JSON:
//   {"name": "smoke", "data": "results/world", "base": "data/base", "tasks": [...],
//    "methods": ["native", "rag", "single", "text", "distill", "shared", "shared-evict"],
//    "seeds": [0], "epochs": 3, "answer_epochs": 10, "train_limit": 0, "test_limit": 0,
//    "top_k": 0, "device": "cpu", "results": "results", "batch_size": 8}
// "batch_size" is how many examples an evaluation runs at once (default_batch_size() when unset);
// "train_batch_size" how many a member's optimizer step takes, in one forward pass (1 by
// default: the recipe whose learning rate was picked on dev; a larger batch wants its own).
// "world_seed" (optional) makes the embedded world of that seed in "data" when it has none, at
// "world_scale" (1 by default; an existing world of another seed or scale is an Error).
// "adapter" ("prompt" or "prefix"), "virtual_tokens" and "learning_rate" set how every member is
// prompt-tuned (default_member_training's values otherwise); "eval_split" ("test", or "dev" for
// choosing settings) is the split evaluated.
// "retriever" (optional; BM25 by default): {"kind": "dense", "model": DIR, "pooling": "cls",
// "query_prefix": "query: ", "passage_prefix": "passage: "} retrieves for the tasks that
// retrieve with that encoder (tasks::DenseRetrieval) on the suite's device.
// "ablation" (optional), {"adapter": "prefix", "tasks": [...], "methods": [...]}: those methods
// on those tasks (the suite's own) again with every member tuned by the other adapter kind, all
// else the same; the report sets each against the main run on the same examples.
// "data" is one directory with TASK/{train,test}.jsonl, or an object of dataset name ->
// directory (the paper's grid: {"tqa": "...", "hotpotqa": "..."}); each task then runs on every
// dataset that holds it. Every key is checked before any training: an unknown key, task or
// method, a missing directory, a task no dataset holds or a dataset no task uses is an Error
// naming it.
struct SuiteAblation {
  AdapterKind adapter_kind = AdapterKind::kPrefix;
  std::vector<std::string> tasks;
  std::vector<eval::System> methods;  // each one whose members are tuned
};

struct SuiteConfig {
  std::string name, base_dir = "data/base", device = "cpu", results_dir = "results";
  std::vector<std::pair<std::string, std::string>> datasets;  // name ("" alone) -> directory
  std::vector<std::string> tasks;
  std::vector<eval::System> methods;
  std::vector<int64_t> seeds = {0};
  int64_t epochs = 3;          // first members, distill and the single model
  int64_t answer_epochs = 10;  // the last member, as a text-chain and as an FTHSS member
  int64_t train_limit = 0, test_limit = 0;  // 0: the whole split
  int64_t top_k = 0;                        // passages per query; 0: each task's default
  tasks::DenseRetrieval dense;              // no model: BM25
  int64_t batch_size = 1;                   // examples evaluated at once
  int64_t train_batch_size = 1;             // examples per optimizer step, in one forward
  AdapterKind adapter_kind = AdapterKind::kPrompt;
  int64_t virtual_tokens = 50;
  double learning_rate = 0;
  std::string eval_split = "test";
  std::optional<SuiteAblation> ablation;
  std::optional<int64_t> world_seed;  // make the embedded world of this seed in the data folder
  int64_t world_scale = 1;

  std::string run_dir() const { return results_dir + "/" + name; }
  // The settings each task of the suite is made with.
  tasks::TaskSettings task_settings() const;
  // The suite the ablation runs: this one with the ablation's adapter kind, tasks and methods,
  // writing under run_dir()/ablation-KIND.
  SuiteConfig ablation_suite() const;
  // Every task on every dataset that holds it, tasks in the config's order.
  std::vector<SuiteJob> jobs() const;
};

// Examples evaluated at once where a config does not say: 32 on a GPU, CPU_BATCH on the CPU.
int64_t default_batch_size(const std::string& device);

// What a config leaves unsaid: the known task names and how members are tuned.
struct SuiteDefaults {
  std::vector<std::string> tasks;
  AdapterKind adapter_kind;
  int64_t virtual_tokens;
  double learning_rate;
};

// The config's JSON checked key by key and read, with no side effect (the loaders' fuzzing
// runs it alone): an Error names the file and the key at fault.
SuiteConfig parse_suite_config(const Json& config, const std::string& path,
                               const SuiteDefaults& defaults);

// Reads and parses the config file, makes the embedded world where "world_seed" asks for it,
// and checks every directory and task file the suite needs.
SuiteConfig read_suite_config(const std::string& path);

}  // namespace kvchain::experiments
