#include "tasks/suite.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "engine/io/atomic_file.h"
#include "engine/io/json_file.h"
#include "engine/model/device.h"
#include "eval/latency_plot.h"
#include "eval/prediction_scores.h"
#include "eval/report_tables.h"
#include "eval/report_writer.h"
#include "tasks/experiment.h"

namespace kvchain::tasks {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kResamples = 1000;

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
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Task>> tasks;  // some open an index

  const Task& task_of(const SuiteJob& job) {
    auto& task = tasks[{job.task, job.dir}];
    if (!task) task = make_task(job.task, job.dir, {config.top_k});
    return *task;
  }

  // The adapter of `member` trained by `method` for `task` and `seed`, trained unless cached:
  // a file, or for a multi-round cascade (member kAllMembers) a directory of one per member.
  // `earlier` are the frozen members it reads (single-round FTHSS).
  std::string adapter(const SuiteJob& job, const std::string& member, Method method, int64_t seed,
                      const std::map<std::string, std::string>& earlier) {
    const auto members = task_of(job).members();
    const bool cascade = member == kAllMembers;
    const int64_t epochs =
        member == members.back() || cascade ? config.answer_epochs : config.epochs;
    Json key = {{"task", job.task},
                {"member", member},
                {"method", method_name(method)},
                {"seed", seed},
                {"epochs", epochs},
                {"limit", config.train_limit},
                {"top_k", config.top_k},
                {"train", file_hash(job.dir + "/" + job.task + "/train.jsonl")},
                {"base", base_hash},
                {"earlier", earlier}};
    const auto hash = std::to_string(std::hash<std::string>{}(key.dump()));
    const auto path = config.results_dir + "/cache/adapters/" + job.stem() + "-" + member + "-" +
                      method_name(method) + "-s" + std::to_string(seed) + "-" + hash +
                      (cascade ? "" : ".safetensors");
    // A cascade's directory is complete once its last member's adapter is written.
    const auto done = cascade ? cascade_adapter_path(path, members.back()) : path;
    if (fs::exists(done)) return path;
    fs::create_directories(fs::path(path).parent_path());
    std::cerr << "suite: train " << job.label() << " " << member << " (" << method_name(method)
              << ", seed " << seed << ")\n";
    auto options = default_member_training();
    options.setup = {config.base_dir, config.device, earlier};
    options.data_dir = job.dir;
    options.task = job.task;
    options.settings = {config.top_k};
    options.member = member;
    options.method = method;
    options.limit = config.train_limit;
    options.out = path;
    options.trainer.epochs = epochs;
    options.trainer.seed = static_cast<uint64_t>(seed);
    options.adapter.init_text = task_of(job).prompt_init(init_index(members, member));
    train_member(options);
    return path;
  }

  // The adapters `mode` reads (tasks/layouts.h), trained as needed: in shared mode a single-
  // round chain's last member on the earlier members' cache, a multi-round chain's members
  // together as a cascade; every other adapter by its own method.
  std::map<std::string, std::string> adapters_for(const SuiteJob& job, RunMode mode, int64_t seed) {
    const auto& chain_task = task_of(job);
    std::map<std::string, std::string> adapters;
    if (mode == RunMode::kShared && chain_task.multi_round()) {
      const auto dir = adapter(job, kAllMembers, Method::kFthss, seed, {});
      for (const auto& member : chain_task.members()) {
        adapters[member] = cascade_adapter_path(dir, member);
      }
      return adapters;
    }
    const auto last = chain_task.members().back();
    for (const auto& member : adapters_of(chain_task, mode)) {
      const auto method = member == kDistillMember                     ? Method::kDistill
                          : member == kSingleMember                    ? Method::kSingle
                          : mode == RunMode::kShared && member == last ? Method::kFthss
                                                                       : Method::kStandard;
      // Members come in chain order, so the ones FTHSS reads are already here.
      adapters[member] =
          adapter(job, member, method, seed,
                  method == Method::kFthss ? adapters : std::map<std::string, std::string>{});
    }
    return adapters;
  }

  std::string predictions_stem(const SuiteJob& job, const std::string& method, int64_t seed) const {
    return config.run_dir() + "/predictions/" + job.stem() + "-" + method + "-s" +
           std::to_string(seed);
  }

  eval::ScoreRow evaluate(const SuiteJob& job, const std::string& method, int64_t seed) {
    const auto stem = predictions_stem(job, method, seed);
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
      options.setup = {config.base_dir, config.device, adapters_for(job, options.mode, seed)};
      options.data_dir = job.dir;
      options.task = job.task;
      options.settings = {config.top_k};
      options.limit = config.test_limit;
      options.predictions_path = predictions;
      summary = evaluate_chain(options).to_json();
      write_file_atomic(summary_path, summary.dump(1));
    }
    const auto scores = eval::summarize(eval::score_predictions(predictions), kResamples, 0);
    eval::ScoreRow row;
    row.task = job.label();
    row.method = method;
    row.seed = seed;
    row.n = scores["n"].get<int64_t>();
    for (const auto& metric : task_of(job).metrics()) {
      if (scores[metric].is_null()) continue;  // no test record is scored by it
      row.scores[metric] = scores[metric].get<double>();
      row.intervals[metric] = {scores["ci"][metric][0].get<double>(),
                               scores["ci"][metric][1].get<double>()};
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
  eval::Report report;
  report.title = config.name;
  const auto now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  report.provenance = "Run on " + describe_machine(config.device) + ", finished " + date +
                      ". Base: `" + config.base_dir + "`.";
  auto& scores = report.scores;
  const auto has = [&](const std::string& method) {
    return std::find(config.methods.begin(), config.methods.end(), method) != config.methods.end();
  };
  for (const auto& job : config.jobs()) {
    for (const auto seed : config.seeds) {
      for (const auto& method : config.methods) {
        std::cerr << "suite: " << job.label() << " " << method << " (seed " << seed << ")\n";
        scores.runs.push_back(run.evaluate(job, method, seed));
        if (method == "text" || method == "shared" || method == "shared-evict") {
          const auto points = eval::latency_points(
              run.predictions_stem(job, method, seed) + ".jsonl", job.label(), method);
          report.latency.insert(report.latency.end(), points.begin(), points.end());
        }
      }
      // FTHSS against what the paper compares it with, on the same examples.
      for (const auto* other : {"text", "distill"}) {
        if (!has("shared") || !has(other)) continue;
        const auto a =
            eval::score_predictions(run.predictions_stem(job, "shared", seed) + ".jsonl");
        const auto b = eval::score_predictions(run.predictions_stem(job, other, seed) + ".jsonl");
        const auto tests = eval::compare(a, b, kResamples, 0);
        for (const auto& metric : run.task_of(job).metrics()) {
          if (tests[metric].is_null()) continue;
          const auto& t = tests[metric];
          scores.paired.push_back({job.label(), "shared", other, metric, seed,
                                   static_cast<int64_t>(a.size()), t["difference"].get<double>(),
                                   t["low"].get<double>(), t["high"].get<double>(),
                                   t["p"].get<double>()});
        }
      }
    }
  }
  const auto dir = config.run_dir();
  write_file_atomic(dir + "/scores.json", eval::scores_json(scores).dump(1));
  return eval::write_report(dir, report);
}

}  // namespace kvchain::tasks
