#include <algorithm>
#include <filesystem>
#include <limits>

#include "data/world/generate.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "engine/io/text.h"
#include "engine/training/training_limits.h"
#include "experiments/eval_limits.h"
#include "experiments/suite_config.h"

namespace kvchain::experiments {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kKeys = {"name",           "data",
                                        "base",           "tasks",
                                        "methods",        "seeds",
                                        "epochs",         "answer_epochs",
                                        "train_limit",    "test_limit",
                                        "top_k",          "device",
                                        "results",        "world_seed",
                                        "world_scale",    "adapter",
                                        "virtual_tokens", "learning_rate",
                                        "eval_split",     "ablation",
                                        "batch_size",     "train_batch_size",
                                        "retriever"};
const std::vector<std::string> kAblationKeys = {"adapter", "tasks", "methods"};

// Throws if `list` names an item twice (a run twice, its scores averaged with themselves).
void refuse_repeats(const std::vector<std::string>& list, const char* key,
                    const std::string& where) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (std::find(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(i), list[i]) !=
        list.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw Error(where + ": " + key + "[" + std::to_string(i) + "]: '" + list[i] +
                  "' is listed twice");
    }
  }
}

// The list under `key`, each item one of `known` (an unknown one is named as a `noun`).
std::vector<std::string> names(const Json& config, const char* key, const char* noun,
                               const std::string& where, const std::vector<std::string>& known) {
  const auto list = json_string_list(config, key, where);
  refuse_repeats(list, key, where);
  for (size_t i = 0; i < list.size(); ++i) {
    if (std::find(known.begin(), known.end(), list[i]) == known.end()) {
      throw Error(where + ": " + key + "[" + std::to_string(i) + "]: unknown " + noun + " '" +
                  list[i] + "' (" + join_names(known) + ")");
    }
  }
  return list;
}

// The integer under `key`, in least..most.
int64_t count(const Json& config, const char* key, const std::string& where, int64_t fallback,
              int64_t least, int64_t most = std::numeric_limits<int64_t>::max()) {
  if (!config.contains(key)) return fallback;
  const auto& value = config[key];
  if (!value.is_number_integer() || value.get<int64_t>() < least || value.get<int64_t>() > most) {
    throw Error(
        where + ": '" + key + "' must be an integer from " + std::to_string(least) +
        (most == std::numeric_limits<int64_t>::max() ? " up" : " to " + std::to_string(most)));
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
  refuse_repeats(list, key, where);
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

// "retriever": {"kind": "bm25"} or {"kind": "dense", "model": DIR, ...}; every key checked.
tasks::DenseRetrieval dense_retrieval(const Json& json, const std::string& path) {
  const auto where = path + ": 'retriever'";
  if (!json.is_object()) throw Error(where + " must be an object");
  const auto kind = json_string(require_field(json, "kind", where), where + ".kind");
  tasks::DenseRetrieval dense;
  if (kind == "bm25") {
    if (json.size() != 1) throw Error(where + ": a BM25 retriever takes no other key");
    return dense;
  }
  if (kind != "dense") throw Error(where + ".kind is '" + kind + "', not bm25 or dense");
  for (const auto& [key, value] : json.items()) {
    if (key != "kind" && key != "model" && key != "pooling" && key != "query_prefix" &&
        key != "passage_prefix") {
      throw Error(where + ": unknown key '" + key +
                  "' (kind, model, pooling, query_prefix, passage_prefix)");
    }
  }
  dense.model = json_string(require_field(json, "model", where), where + ".model");
  if (!fs::is_directory(dense.model)) throw Error(where + ".model: no directory " + dense.model);
  if (json.contains("pooling")) dense.pooling = json_string(json["pooling"], where + ".pooling");
  if (dense.pooling != "mean" && dense.pooling != "last" && dense.pooling != "cls") {
    throw Error(where + ".pooling is '" + dense.pooling + "', not mean, last or cls");
  }
  for (auto [key, value] : {std::pair{"query_prefix", &dense.query_prefix},
                            std::pair{"passage_prefix", &dense.passage_prefix}}) {
    if (json.contains(key)) *value = json_string(json[key], where + "." + key);
  }
  return dense;
}

}  // namespace

int64_t default_batch_size(const std::string& device) {
  return device.rfind("cuda", 0) == 0 ? 32 : 8;
}

SuiteConfig parse_suite_config(const Json& config, const std::string& path,
                               const SuiteDefaults& defaults) {
  if (!config.is_object()) throw Error(path + ": a suite config is a JSON object");
  for (const auto& [key, value] : config.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      throw Error(path + ": unknown key '" + key + "' (" + join_names(kKeys) + ")");
    }
  }
  SuiteConfig suite;
  suite.name = json_string(require_field(config, "name", path), path + ": 'name'");
  if (suite.name.empty() || suite.name == "." || suite.name == ".." ||
      suite.name.find('/') != std::string::npos) {
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
    if (!data.is_string()) throw Error(path + ": 'world_seed' needs 'data' to be one directory");
    suite.world_seed = count(config, "world_seed", path, 1, 0);
    suite.world_scale = count(config, "world_scale", path, 1, 1, data::kMaxWorldScale);
  } else if (config.contains("world_scale")) {
    throw Error(path + ": 'world_scale' needs 'world_seed'");
  }
  suite.adapter_kind =
      config.contains("adapter")
          ? parse_adapter_kind(json_string_field(config, "adapter", path), path + ": 'adapter'")
          : defaults.adapter_kind;
  suite.virtual_tokens =
      count(config, "virtual_tokens", path, defaults.virtual_tokens, 1, kMaxVirtualTokens);
  suite.learning_rate = defaults.learning_rate;
  if (config.contains("learning_rate")) {
    const auto& rate = config["learning_rate"];
    if (!rate.is_number() || rate.get<double>() <= 0 || rate.get<double>() > 10) {
      throw Error(path + ": 'learning_rate' must be a number above 0 and at most 10");
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
  suite.tasks = names(config, "tasks", "task", path, defaults.tasks);
  suite.methods = systems(config, "methods", path);
  if (config.contains("ablation")) suite.ablation = read_ablation(config["ablation"], suite, path);
  if (config.contains("seeds")) {
    const auto& seeds = config["seeds"];
    if (!seeds.is_array() || seeds.empty())
      throw Error(path + ": 'seeds' must be a non-empty list");
    suite.seeds.clear();
    for (const auto& seed : seeds) {
      if (!seed.is_number_integer() || seed.get<int64_t>() < 0) {
        throw Error(path + ": 'seeds' must hold integers from 0 up");
      }
      if (std::count(suite.seeds.begin(), suite.seeds.end(), seed.get<int64_t>())) {
        throw Error(path + ": 'seeds' lists " + std::to_string(seed.get<int64_t>()) + " twice");
      }
      suite.seeds.push_back(seed.get<int64_t>());
    }
  }
  suite.epochs = count(config, "epochs", path, suite.epochs, 1, kMaxEpochs);
  suite.answer_epochs = count(config, "answer_epochs", path, suite.answer_epochs, 1, kMaxEpochs);
  suite.train_limit = count(config, "train_limit", path, 0, 0);
  suite.test_limit = count(config, "test_limit", path, 0, 0);
  suite.top_k = count(config, "top_k", path, 0, 0);
  if (config.contains("retriever")) suite.dense = dense_retrieval(config["retriever"], path);
  suite.dense.device = suite.device;
  suite.batch_size =
      count(config, "batch_size", path, default_batch_size(suite.device), 1, kMaxEvalBatch);
  suite.train_batch_size = count(config, "train_batch_size", path, 1, 1, kMaxEvalBatch);
  return suite;
}

}  // namespace kvchain::experiments
