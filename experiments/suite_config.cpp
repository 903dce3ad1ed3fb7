#include "experiments/suite_config.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "data/world/generate.h"
#include "engine/io/error.h"
#include "engine/io/file_lock.h"
#include "engine/io/json_file.h"
#include "engine/model/device.h"
#include "experiments/member_training.h"
#include "tasks/task.h"

namespace kvchain::experiments {
namespace fs = std::filesystem;

tasks::TaskSettings SuiteConfig::task_settings() const {
  return {top_k, dense};
}

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
  const auto training = default_member_training();
  const auto suite =
      parse_suite_config(read_json_file(path), path,
                         {tasks::task_names(), training.adapter.kind,
                          training.adapter.num_virtual_tokens, training.trainer.learning_rate});
  // A device this machine lacks is named before any world is made or member trained.
  try {
    parse_device(suite.device);
  } catch (const Error& e) {
    throw Error(path + ": 'device': " + e.what());
  }
  if (suite.world_seed) {
    // The embedded world is a second to make: a suite on it needs no separate step.
    const auto seed = *suite.world_seed;
    const auto scale = suite.world_scale;
    const auto& dir = suite.datasets.front().second;
    const auto manifest_path = (fs::path(dir) / "manifest.json").string();
    // A world made before the generator knew a task lacks its folder: the same seed and scale
    // give the same files again, with the new task's beside them.
    const auto stale = [&] {
      if (!fs::exists(manifest_path)) return true;
      const auto tasks = read_json_file(manifest_path).value("tasks", Json::object());
      return std::any_of(data::task_names().begin(), data::task_names().end(),
                         [&](const std::string& task) { return !tasks.contains(task); });
    };
    // Made under a lock, so that the ranks of one run make it once.
    make_once((fs::path(dir) / ".generate.lock").string(), stale, [&] {
      data::GenerateOptions options;
      options.seed = static_cast<uint64_t>(seed);
      options.scale = static_cast<int>(scale);
      data::generate_dataset(dir, options, std::cerr);
    });
    const auto manifest = read_json_file(manifest_path);
    if (manifest.value("seed", -1) != seed || manifest.value("scale", -1) != scale) {
      throw Error(path + ": 'data': " + dir + " holds the world of seed " +
                  std::to_string(manifest.value("seed", -1)) + " at scale " +
                  std::to_string(manifest.value("scale", -1)) + ", not seed " +
                  std::to_string(seed) + " at scale " + std::to_string(scale) +
                  " (give the suite another 'data' directory)");
    }
  }
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
