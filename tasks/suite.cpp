#include "tasks/suite.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "engine/io/atomic_file.h"
#include "engine/io/json_file.h"
#include "eval/prediction_scores.h"
#include "eval/report_tables.h"
#include "eval/report_writer.h"
#include "tasks/experiment.h"

namespace kvchain::tasks {
namespace fs = std::filesystem;
namespace {

// The member whose prompt text an adapter starts from: the first one's for the distilled
// model, the last one's (the answer's) for the single model.
size_t init_index(const std::vector<std::string>& members, const std::string& member) {
  if (member == kDistillMember) return 0;
  const auto it = std::find(members.begin(), members.end(), member);
  return it == members.end() ? members.size() - 1 : static_cast<size_t>(it - members.begin());
}

struct SuiteRun {
  const SuiteConfig& config;
  std::string base_hash;
  std::map<std::string, std::unique_ptr<Task>> tasks;  // made once: some open an index

  const Task& task_of(const std::string& name) {
    auto& task = tasks[name];
    if (!task) task = make_task(name, config.data_dir);
    return *task;
  }

  // The adapter of `member` trained by `method` for `task` and `seed`, trained unless cached.
  // `earlier` are the frozen members it reads (FTHSS).
  std::string adapter(const std::string& task, const std::string& member, Method method,
                      int64_t seed, const std::map<std::string, std::string>& earlier) {
    const auto members = task_of(task).members();
    const int64_t epochs = member == members.back() ? config.answer_epochs : config.epochs;
    Json key = {{"task", task},
                {"member", member},
                {"method", method_name(method)},
                {"seed", seed},
                {"epochs", epochs},
                {"limit", config.train_limit},
                {"train", file_hash(config.data_dir + "/" + task + "/train.jsonl")},
                {"base", base_hash},
                {"earlier", earlier}};
    const auto hash = std::to_string(std::hash<std::string>{}(key.dump()));
    const auto path = config.results_dir + "/cache/adapters/" + task + "-" + member + "-" +
                      method_name(method) + "-s" + std::to_string(seed) + "-" + hash +
                      ".safetensors";
    if (fs::exists(path)) return path;
    fs::create_directories(fs::path(path).parent_path());
    std::cerr << "suite: train " << task << " " << member << " (" << method_name(method)
              << ", seed " << seed << ")\n";
    auto options = default_member_training();
    options.setup = {config.base_dir, config.device, earlier};
    options.data_dir = config.data_dir;
    options.task = task;
    options.member = member;
    options.method = method;
    options.limit = config.train_limit;
    options.out = path;
    options.trainer.epochs = epochs;
    options.trainer.seed = static_cast<uint64_t>(seed);
    options.adapter.init_text = task_of(task).prompt_init(init_index(members, member));
    train_member(options);
    return path;
  }

  // The adapters `mode` reads (tasks/layouts.h), trained as needed: a chain's last member on
  // the earlier members' cache in shared mode, every other adapter by its own method.
  std::map<std::string, std::string> adapters_for(const std::string& task, RunMode mode,
                                                  int64_t seed) {
    const auto last = task_of(task).members().back();
    std::map<std::string, std::string> adapters;
    for (const auto& member : adapters_of(task_of(task), mode)) {
      const auto method = member == kDistillMember                     ? Method::kDistill
                          : member == kSingleMember                    ? Method::kSingle
                          : mode == RunMode::kShared && member == last ? Method::kFthss
                                                                       : Method::kStandard;
      // Members come in chain order, so the ones FTHSS reads are already here.
      adapters[member] =
          adapter(task, member, method, seed,
                  method == Method::kFthss ? adapters : std::map<std::string, std::string>{});
    }
    return adapters;
  }

  eval::ScoreRow evaluate(const std::string& task, const std::string& method, int64_t seed) {
    const auto stem =
        config.run_dir() + "/predictions/" + task + "-" + method + "-s" + std::to_string(seed);
    const auto predictions = stem + ".jsonl", summary_path = stem + ".summary.json";
    Json summary;
    if (fs::exists(summary_path)) {
      summary = read_json_file(summary_path);
    } else {
      fs::create_directories(fs::path(stem).parent_path());
      EvalOptions options;
      // "shared-evict" is the shared mode with eviction; every other method is a run mode.
      options.evict = method == "shared-evict";
      options.mode = parse_run_mode(options.evict ? "shared" : method);
      options.setup = {config.base_dir, config.device, adapters_for(task, options.mode, seed)};
      options.data_dir = config.data_dir;
      options.task = task;
      options.limit = config.test_limit;
      options.predictions_path = predictions;
      summary = evaluate_chain(options).to_json();
      write_file_atomic(summary_path, summary.dump(1));
    }
    const auto scores = eval::summarize(eval::score_predictions(predictions), 1000, 0);
    eval::ScoreRow row;
    row.task = task;
    row.method = method;
    row.seed = seed;
    row.n = scores["n"].get<int64_t>();
    for (const auto& metric : task_of(task).metrics()) {
      row.scores[metric] = scores[metric].get<double>();
    }
    row.prefilled_tokens = summary["prefilled_tokens"].get<double>();
    row.latency_s = summary["prefill_s"].get<double>() + summary["decode_s"].get<double>();
    row.kv_bytes = summary["kv_bytes_peak"].get<double>();
    return row;
  }
};

}  // namespace

std::string run_suite(const SuiteConfig& config) {
  SuiteRun run{config, file_hash(config.base_dir + "/model.safetensors"), {}};
  std::vector<eval::ScoreRow> rows;
  for (const auto& task : config.tasks) {
    for (const auto seed : config.seeds) {
      for (const auto& method : config.methods) {
        std::cerr << "suite: " << task << " " << method << " (seed " << seed << ")\n";
        rows.push_back(run.evaluate(task, method, seed));
      }
    }
  }
  const auto dir = config.run_dir();
  write_file_atomic(dir + "/scores.json", eval::scores_json(rows).dump(1));
  return eval::write_report(dir, config.name, rows);
}

}  // namespace kvchain::tasks
