#include "experiments/suite_config.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "data/world/generate.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/io/text.h"
#include "experiments/member_training.h"
#include "tasks/task.h"

namespace kvchain::experiments {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kKeys = {
    "name",    "data",           "base",          "tasks",       "methods",
    "seeds",   "epochs",         "answer_epochs", "train_limit", "test_limit",
    "top_k",   "device",         "results",       "world_seed",  "world_scale",
    "adapter", "virtual_tokens", "learning_rate", "eval_split",  "ablation"};
const std::vector<std::string> kAblationKeys = {"adapter", "tasks", "methods"};

// The list under `key`, each item one of `known` (an unknown one is named as a `noun`).
std::vector<std::string> names(const Json& config, const char* key, const char* noun,
                               const std::string& where, const std::vector<std::string>& known) {
  const auto list = json_string_list(config, key, where);
  for (size_t i = 0; i < list.size(); ++i) {
    if (std::find(known.begin(), known.end(), list[i]) == known.end()) {
      throw Error(where + ": " + key + "[" + std::to_string(i) + "]: unknown " + noun + " '" +
                  list[i] + "' (" + join_names(known) + ")");
    }
  }
  return list;
}

int64_t count(const Json& config, const char* key, const std::string& where, int64_t fallback,
              int64_t least) {
  if (!config.contains(key)) return fallback;
  const auto& value = config[key];
  if (!value.is_number_integer() || value.get<int64_t>() < least) {
    throw Error(where + ": '" + key + "' must be an integer >= " + std::to_string(least));
  }
  return value.get<int64_t>();
}

std::string text(const Json& config, const char* key, const std::string& where,
                 const std::string& fallback) {
  return config.contains(key) ? json_string_field(config, key, where) : fallback;
}

// The methods named under `key`, each a system of eval/system.h.
std::vector<eval::System> systems(const Json& config, const char* key, const std::string& where) {
  std::vector<eval::System> out;
  const auto list = json_string_list(config, key, where);
  for (size_t i = 0; i < list.size(); ++i) {
    out.push_back(eval::parse_system(list[i], where + ": " + key + "[" + std::to_string(i) + "]"));
  }
  return out;
}

// The "ablation" object: its adapter differs from the suite's, and its tasks and methods are
// the suite's own, each method one whose members are tuned (not native or rag).
SuiteAblation read_ablation(const Json& config, const SuiteConfig& suite, const std::string& path) {
  const auto where = path + ": 'ablation'";
  if (!config.is_object()) throw Error(where + " must be an object");
  for (const auto& [key, value] : config.items()) {
    if (std::find(kAblationKeys.begin(), kAblationKeys.end(), key) == kAblationKeys.end()) {
      throw Error(where + ": unknown key '" + key + "' (" + join_names(kAblationKeys) + ")");
    }
  }
  SuiteAblation ablation;
  ablation.adapter_kind =
      parse_adapter_kind(json_string_field(config, "adapter", where), where + ": 'adapter'");
  if (ablation.adapter_kind == suite.adapter_kind) {
    throw Error(where + ": 'adapter' is the suite's own ('" +
                adapter_kind_name(suite.adapter_kind) + "'): an ablation tunes with the other");
  }
  ablation.tasks = names(config, "tasks", "task", where, suite.tasks);
  ablation.methods = systems(config, "methods", where);
  for (const auto method : ablation.methods) {
    if (std::find(suite.methods.begin(), suite.methods.end(), method) == suite.methods.end()) {
      throw Error(where + ": method '" + eval::system_key(method) + "' is not among the suite's");
    }
    if (method == eval::System::kNative || method == eval::System::kRag) {
      throw Error(where + ": method '" + eval::system_key(method) + "' tunes no adapter");
    }
  }
  return ablation;
}

}  // namespace

SuiteConfig SuiteConfig::ablation_suite() const {
  if (!ablation) throw Error("suite " + name + " has no ablation");
  auto variant = *this;
  variant.name = name + "/ablation-" + adapter_kind_name(ablation->adapter_kind);
  variant.adapter_kind = ablation->adapter_kind;
  variant.tasks = ablation->tasks;
  variant.methods = ablation->methods;
  variant.ablation.reset();
  return variant;
}

SuiteConfig read_suite_config(const std::string& path) {
  const auto config = read_json_file(path);
  if (!config.is_object()) throw Error(path + ": a suite config is a JSON object");
  for (const auto& [key, value] : config.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      throw Error(path + ": unknown key '" + key + "' (" + join_names(kKeys) + ")");
    }
  }
  SuiteConfig suite;
  suite.name = json_string(require_field(config, "name", path), path + ": 'name'");
  if (suite.name.empty() || suite.name.find('/') != std::string::npos) {
    throw Error(path + ": 'name' must be a plain folder name");
  }
  const auto& data = require_field(config, "data", path);
  if (data.is_object()) {
    if (data.empty()) throw Error(path + ": 'data' names no dataset");
    for (const auto& [name, dir] : data.items()) {
      if (name.empty() || name.find_first_of("/ ") != std::string::npos) {
        throw Error(path + ": 'data': dataset name '" + name + "' must be a plain word");
      }
      suite.datasets.emplace_back(name, json_string(dir, path + ": 'data." + name + "'"));
    }
  } else {
    suite.datasets.emplace_back("", json_string(data, path + ": 'data'"));
  }
  if (config.contains("world_seed")) {
    // The embedded world is a second to make: a suite on it needs no separate step.
    if (!data.is_string()) throw Error(path + ": 'world_seed' needs 'data' to be one directory");
    const auto seed = count(config, "world_seed", path, 1, 0);
    const auto scale = count(config, "world_scale", path, 1, 1);
    const auto& dir = suite.datasets.front().second;
    const auto manifest_path = (fs::path(dir) / "manifest.json").string();
    // A world made before the generator knew a task lacks its folder: the same seed and scale
    // give the same files again, with the new task's beside them.
    const auto stale = [&] {
      const auto tasks = read_json_file(manifest_path).value("tasks", Json::object());
      return std::any_of(data::task_names().begin(), data::task_names().end(),
                         [&](const std::string& task) { return !tasks.contains(task); });
    };
    if (!fs::exists(manifest_path) || stale()) {
      data::GenerateOptions options;
      options.seed = static_cast<uint64_t>(seed);
      options.scale = static_cast<int>(scale);
      data::generate_dataset(dir, options, std::cerr);
    }
    const auto manifest = read_json_file(manifest_path);
    if (manifest.value("seed", -1) != seed || manifest.value("scale", -1) != scale) {
      throw Error(path + ": 'data': " + dir + " holds the world of seed " +
                  std::to_string(manifest.value("seed", -1)) + " at scale " +
                  std::to_string(manifest.value("scale", -1)) + ", not seed " +
                  std::to_string(seed) + " at scale " + std::to_string(scale) +
                  " (give the suite another 'data' directory)");
    }
  } else if (config.contains("world_scale")) {
    throw Error(path + ": 'world_scale' needs 'world_seed'");
  }
  const auto training = default_member_training();
  suite.adapter_kind =
      config.contains("adapter")
          ? parse_adapter_kind(json_string_field(config, "adapter", path), path + ": 'adapter'")
          : training.adapter.kind;
  suite.virtual_tokens =
      count(config, "virtual_tokens", path, training.adapter.num_virtual_tokens, 1);
  suite.learning_rate = training.trainer.learning_rate;
  if (config.contains("learning_rate")) {
    const auto& rate = config["learning_rate"];
    if (!rate.is_number() || rate.get<double>() <= 0) {
      throw Error(path + ": 'learning_rate' must be a positive number");
    }
    suite.learning_rate = rate.get<double>();
  }
  suite.eval_split = text(config, "eval_split", path, suite.eval_split);
  if (suite.eval_split != "test" && suite.eval_split != "dev") {
    throw Error(path + ": 'eval_split' must be \"test\" or \"dev\" (training never reads them)");
  }
  suite.base_dir = text(config, "base", path, suite.base_dir);
  suite.device = text(config, "device", path, suite.device);
  suite.results_dir = text(config, "results", path, suite.results_dir);
  suite.tasks = names(config, "tasks", "task", path, tasks::task_names());
  suite.methods = systems(config, "methods", path);
  if (config.contains("ablation")) suite.ablation = read_ablation(config["ablation"], suite, path);
  if (config.contains("seeds")) {
    const auto& seeds = config["seeds"];
    if (!seeds.is_array() || seeds.empty())
      throw Error(path + ": 'seeds' must be a non-empty list");
    suite.seeds.clear();
    for (const auto& seed : seeds) {
      if (!seed.is_number_integer()) throw Error(path + ": 'seeds' must hold integers");
      suite.seeds.push_back(seed.get<int64_t>());
    }
  }
  suite.epochs = count(config, "epochs", path, suite.epochs, 1);
  suite.answer_epochs = count(config, "answer_epochs", path, suite.answer_epochs, 1);
  suite.train_limit = count(config, "train_limit", path, 0, 0);
  suite.test_limit = count(config, "test_limit", path, 0, 0);
  suite.top_k = count(config, "top_k", path, 0, 0);
  for (const auto& [name, dir] : suite.datasets) {
    if (!fs::is_directory(dir)) {
      throw Error(path + ": 'data" + (name.empty() ? "" : "." + name) + "': " + dir +
                  " is not a directory (make the world with `kvchain data generate`)");
    }
  }
  if (!fs::exists(fs::path(suite.base_dir) / "config.json")) {
    throw Error(path + ": 'base': " + suite.base_dir + " has no config.json");
  }
  // With one directory every task must be there; with several, each task in at least one and
  // each dataset used by a task.
  const auto jobs = suite.jobs();
  for (const auto& task : suite.tasks) {
    const auto found =
        std::any_of(jobs.begin(), jobs.end(), [&](auto& j) { return j.task == task; });
    if (!found || suite.datasets.size() == 1) {
      for (const auto& split : {std::string("train"), suite.eval_split}) {
        const auto file = fs::path(suite.datasets.front().second) / task / (split + ".jsonl");
        if (!fs::exists(file)) {
          throw Error(
              path + ": 'tasks': " + file.string() + " is missing" +
              (suite.datasets.size() > 1 ? " (and no other dataset holds " + task + ")" : ""));
        }
      }
    }
  }
  for (const auto& [name, dir] : suite.datasets) {
    if (std::none_of(jobs.begin(), jobs.end(), [&](auto& j) { return j.dataset == name; })) {
      throw Error(path + ": 'data." + name + "': " + dir + " holds none of the suite's tasks");
    }
  }
  return suite;
}

std::vector<SuiteJob> SuiteConfig::jobs() const {
  std::vector<SuiteJob> jobs;
  for (const auto& task : tasks) {
    for (const auto& [name, dir] : datasets) {
      const bool held = fs::exists(fs::path(dir) / task / "train.jsonl") &&
                        fs::exists(fs::path(dir) / task / "test.jsonl");
      if (held) jobs.push_back({task, name, dir});
    }
  }
  return jobs;
}

}  // namespace kvchain::experiments
