#include "experiments/suite.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "engine/io/atomic_file.h"
#include "engine/io/json_file.h"
#include "engine/io/jsonl_reader.h"
#include "engine/model/device.h"
#include "eval/latency_plot.h"
#include "eval/prediction_scores.h"
#include "eval/report_writer.h"
#include "experiments/adapter_cache.h"
#include "experiments/chain_evaluation.h"
#include "experiments/source_identity.h"

namespace kvchain::experiments {
namespace fs = std::filesystem;
namespace {

using eval::System;

constexpr int64_t kResamples = 1000;

// The file beside a predictions file (NAME.jsonl) that holds its `suffix` (NAME.summary.json).
std::string beside(const std::string& predictions_path, const std::string& suffix) {
  return predictions_path.substr(0, predictions_path.size() - std::string(".jsonl").size()) +
         suffix;
}

// The paired tests of scores a suite runs, A against B, where it runs both.
constexpr std::pair<System, System> kPairedTests[] = {{System::kText, System::kNative},
                                                      {System::kText, System::kRag},
                                                      {System::kText, System::kSingle},
                                                      {System::kShared, System::kText},
                                                      {System::kShared, System::kDistill}};

class SuiteRun {
 public:
  explicit SuiteRun(const SuiteConfig& config)
      : config_(config), adapters_(config, [this](const SuiteJob& job) -> const tasks::Task& {
          return task_of(job);
        }) {}

  // Some tasks open an index, so each is made once per job.
  const tasks::Task& task_of(const SuiteJob& job) {
    auto& task = tasks_[{job.task, job.dir}];
    if (!task) task = tasks::make_task(job.task, job.dir, config_.task_settings());
    return *task;
  }

  std::string predictions(const SuiteJob& job, System method, int64_t seed) const {
    return config_.run_dir() + "/predictions/" + job.stem() + "-" + eval::system_key(method) +
           "-s" + std::to_string(seed) + ".jsonl";
  }

  // Kept predictions and their summary stand only if they were made as this run would make
  // them: with the same adapters (whose names hash their training), base weights, evaluation
  // split bytes, limit, retrieval depth, device, batch size and library sources. Otherwise both
  // go, and the method is evaluated again: a changed base or limit never reuses stale rows.
  void keep_only_if_made_alike(const SuiteJob& job, System method,
                               const std::map<std::string, std::string>& adapters,
                               const std::string& predictions_path) {
    Json identity = {{"adapters", adapters},
                     {"base", adapters_.base_hash()},
                     {"split", config_.eval_split},
                     {"split_bytes", adapters_.split_hash(job, config_.eval_split)},
                     {"limit", config_.test_limit},
                     {"top_k", config_.top_k},
                     {"device", device_kind(config_.device)},
                     {"batch_size", config_.batch_size},
                     {"sources", KVCHAIN_SOURCE_IDENTITY}};
    if (!config_.dense.model.empty()) identity["retriever"] = config_.dense.identity();
    const auto identity_path = beside(predictions_path, ".identity.json");
    const auto summary_path = beside(predictions_path, ".summary.json");
    if (fs::exists(identity_path) && read_json_file(identity_path) == identity) return;
    if (fs::exists(predictions_path) || fs::exists(summary_path)) {
      std::cerr << "suite: " << job.label() << " " << eval::system_key(method)
                << ": the kept predictions were made with other settings; evaluating again\n";
    }
    fs::remove(predictions_path);
    fs::remove(summary_path);
    fs::create_directories(fs::path(identity_path).parent_path());
    write_file_atomic(identity_path, identity.dump(1));
  }

  EvalOptions eval_options(const SuiteJob& job, System method,
                           const std::map<std::string, std::string>& adapters,
                           const std::string& predictions_path) const {
    EvalOptions options;
    options.system = method;
    options.setup = {config_.base_dir, config_.device, adapters};
    options.data_dir = job.dir;
    options.task = job.task;
    options.settings = config_.task_settings();
    options.limit = config_.test_limit;
    options.split = config_.eval_split;
    options.batch_size = config_.batch_size;
    options.predictions_path = predictions_path;
    return options;
  }

  // Trains the adapters the method needs on the job, unless the cache holds them.
  void train(const SuiteJob& job, System method, int64_t seed) {
    adapters_.adapters_for(job, method, seed);
  }

  // The method's evaluation on the job with its records split over the group's ranks: the first
  // keeps a finished evaluation or clears one made otherwise, every rank evaluates its share
  // into a part file, and the first joins the parts, in order, into the predictions and summary
  // that evaluate() keeps. The adapters are in the cache by then (train()).
  void evaluate_in_shares(const SuiteJob& job, System method, int64_t seed,
                          DataParallelGroup& group) {
    const auto predictions_path = predictions(job, method, seed);
    const auto summary_path = beside(predictions_path, ".summary.json");
    const auto adapters = adapters_.adapters_for(job, method, seed);
    int64_t kept = 0;
    if (group.rank() == 0) {
      keep_only_if_made_alike(job, method, adapters, predictions_path);
      kept = fs::exists(summary_path) ? 1 : 0;
    }
    if (group.from_first(kept) == 1) return;
    const auto part = [&](int64_t rank) {
      return beside(predictions_path, ".part-" + std::to_string(rank) + "-of-" +
                                          std::to_string(group.size()) + ".jsonl");
    };
    auto options = eval_options(job, method, adapters, part(group.rank()));
    options.share = group.rank();
    options.shares = group.size();
    evaluate_chain(options);
    group.agree(0, "the end of " + job.label() + " " + eval::system_key(method));
    if (group.rank() != 0) return;
    std::vector<Json> rows;
    for (int64_t rank = 0; rank < group.size(); ++rank) {
      JsonlReader reader(part(rank), "a rank's share of the predictions");
      for (Json row; reader.next(row);) rows.push_back(row);
    }
    write_predictions(predictions_path, rows);
    write_file_atomic(summary_path, summarize_predictions(rows).to_json().dump(1));
    for (int64_t rank = 0; rank < group.size(); ++rank) fs::remove(part(rank));
  }

  // The method's scores on the job, evaluated unless a finished evaluation is kept.
  eval::ScoreRow evaluate(const SuiteJob& job, System method, int64_t seed) {
    const auto predictions_path = predictions(job, method, seed);
    const auto summary_path = beside(predictions_path, ".summary.json");
    const auto adapters = adapters_.adapters_for(job, method, seed);
    keep_only_if_made_alike(job, method, adapters, predictions_path);
    Json summary;
    if (fs::exists(summary_path)) {
      summary = read_json_file(summary_path);
    } else {
      summary = evaluate_chain(eval_options(job, method, adapters, predictions_path)).to_json();
      write_file_atomic(summary_path, summary.dump(1));
    }
    const auto scores = eval::summarize(scores_of(job, method, seed), kResamples, 0);
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

  // The job's title in reports: the task's as the paper writes it, with the dataset's name.
  std::string title(const SuiteJob& job) {
    const auto title = task_of(job).title();
    return job.dataset.empty() ? title : title + " (" + job.dataset + ")";
  }

  // A finished evaluation's per-example scores, read from its predictions once: the scores
  // table and every paired test that involves it use them.
  const eval::PredictionScores& scores_of(const SuiteJob& job, System method, int64_t seed) {
    const auto path = predictions(job, method, seed);
    auto found = scored_.find(path);
    if (found == scored_.end()) found = scored_.emplace(path, eval::score_predictions(path)).first;
    return found->second;
  }

  // `a` against `b` on the same examples, one result per metric the task reports.
  std::vector<eval::PairedResult> paired(const SuiteJob& job, System a, System b, int64_t seed) {
    return paired_tests(job, a, scores_of(job, a, seed), b, scores_of(job, b, seed), seed);
  }

  // The method's run here (a) against the same run in `other` (b), on the same examples.
  std::vector<eval::PairedResult> paired_with(SuiteRun& other, const SuiteJob& job, System method,
                                              int64_t seed) {
    return paired_tests(job, method, scores_of(job, method, seed), method,
                        other.scores_of(job, method, seed), seed);
  }

  // The tokens the text chain prefilled against FTHSS's on the same examples, in tokens.
  eval::PairedResult paired_prefilled(const SuiteJob& job, int64_t seed) {
    const auto& text = scores_of(job, System::kText, seed);
    const auto& shared = scores_of(job, System::kShared, seed);
    return paired_result(job, System::kText, System::kShared, eval::kPrefilledTokens, seed,
                         text.size(), eval::compare_prefilled(text, shared, kResamples, 0));
  }

 private:
  // Paired tests of `scores_a` (method a) against `scores_b` (method b), one per metric the
  // task reports.
  std::vector<eval::PairedResult> paired_tests(const SuiteJob& job, System a,
                                               const eval::PredictionScores& scores_a, System b,
                                               const eval::PredictionScores& scores_b,
                                               int64_t seed) {
    const auto tests = eval::compare_metrics(scores_a, scores_b, kResamples, 0);
    std::vector<eval::PairedResult> results;
    for (const auto& metric : task_of(job).metrics()) {
      const auto t = std::find_if(tests.begin(), tests.end(),
                                  [&](const eval::MetricTest& t) { return t.metric == metric; });
      if (t != tests.end()) {
        results.push_back(paired_result(job, a, b, metric, seed, scores_a.size(), t->test));
      }
    }
    return results;
  }
  // A paired test as the suite's scores record it.
  static eval::PairedResult paired_result(const SuiteJob& job, System a, System b,
                                          const std::string& metric, int64_t seed, size_t n,
                                          const eval::PairedTest& test) {
    return {job.label(),
            a,
            b,
            metric,
            seed,
            static_cast<int64_t>(n),
            test.difference.mean,
            test.difference.low,
            test.difference.high,
            test.p_value,
            test.differing};
  }

  const SuiteConfig& config_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<tasks::Task>> tasks_;
  std::map<std::string, eval::PredictionScores> scored_;  // by predictions file
  AdapterCache adapters_;
};

std::string adapter_label(AdapterKind kind, int64_t virtual_tokens) {
  return std::string(adapter_kind_name(kind)) + ", " + std::to_string(virtual_tokens) +
         " virtual tokens";
}

// The ablation's runs (evaluated in its own results folder) set against the main run's.
eval::Ablation run_ablation(const SuiteConfig& config, SuiteRun& main) {
  const auto variant_config = config.ablation_suite();
  SuiteRun variant(variant_config);
  eval::Ablation ablation;
  ablation.main_label = adapter_label(config.adapter_kind, config.virtual_tokens);
  ablation.variant_label = adapter_label(variant_config.adapter_kind, config.virtual_tokens);
  for (const auto& job : variant_config.jobs()) {
    for (const auto seed : config.seeds) {
      for (const auto method : variant_config.methods) {
        std::cerr << "suite: ablation (" << ablation.variant_label << "): " << job.label() << " "
                  << eval::system_key(method) << " (seed " << seed << ")\n";
        ablation.variant.push_back(variant.evaluate(job, method, seed));
        ablation.main.push_back(main.evaluate(job, method, seed));
        const auto results = variant.paired_with(main, job, method, seed);
        ablation.paired.insert(ablation.paired.end(), results.begin(), results.end());
      }
    }
  }
  return ablation;
}

// This rank's part of a suite spread over `group`. First the training: every size-th (task,
// seed) pair from the rank on (the main run's, then the ablation's) trains its adapters here,
// so no two ranks train the same one. Then every evaluation, its records split over all ranks.
void run_share(const SuiteConfig& config, DataParallelGroup& group) {
  SuiteRun run(config);
  std::optional<SuiteConfig> variant_config;
  std::optional<SuiteRun> variant;
  if (config.ablation) {
    variant_config = config.ablation_suite();
    variant.emplace(*variant_config);
  }
  // (run, config) pairs in order: the main run, then the ablation's.
  std::vector<std::pair<SuiteRun*, const SuiteConfig*>> runs{{&run, &config}};
  if (variant) runs.emplace_back(&*variant, &*variant_config);
  int64_t pair = 0;
  for (auto [suite_run, suite_config] : runs) {
    for (const auto& job : suite_config->jobs()) {
      for (const auto seed : config.seeds) {
        if (pair++ % group.size() != group.rank()) continue;
        for (const auto method : suite_config->methods) {
          std::cerr << "suite: rank " + std::to_string(group.rank()) + " trains for " +
                           job.label() + " " + eval::system_key(method) + " (seed " +
                           std::to_string(seed) + ")\n";
          suite_run->train(job, method, seed);
        }
      }
    }
  }
  group.agree(0, "the end of the suite's training");
  for (auto [suite_run, suite_config] : runs) {
    for (const auto& job : suite_config->jobs()) {
      for (const auto seed : config.seeds) {
        for (const auto method : suite_config->methods) {
          suite_run->evaluate_in_shares(job, method, seed, group);
        }
      }
    }
  }
}

}  // namespace

std::string run_suite(const SuiteConfig& config, DataParallelGroup* group) {
  if (group != nullptr && group->size() > 1) {
    run_share(config, *group);
    if (group->rank() != 0) return "";
  }
  SuiteRun run(config);
  eval::Report report;
  report.title = config.name;
  auto& scores = report.scores;
  const auto has = [&](System method) {
    return std::find(config.methods.begin(), config.methods.end(), method) != config.methods.end();
  };
  for (const auto& job : config.jobs()) {
    scores.titles[job.label()] = run.title(job);
    for (const auto seed : config.seeds) {
      for (const auto method : config.methods) {
        std::cerr << "suite: " << job.label() << " " << eval::system_key(method) << " (seed "
                  << seed << ")\n";
        scores.runs.push_back(run.evaluate(job, method, seed));
        if (eval::is_chain(method)) {
          const auto points =
              eval::latency_points(run.predictions(job, method, seed), job.label(), method);
          report.latency.insert(report.latency.end(), points.begin(), points.end());
        }
      }
      // What the paper's findings compare (eval/report_findings.h), on the same examples: the
      // text chain against each single model, FTHSS against the chain and Distill, and the
      // tokens the chain prefilled against FTHSS's.
      for (const auto& [a, b] : kPairedTests) {
        if (!has(a) || !has(b)) continue;
        const auto results = run.paired(job, a, b, seed);
        scores.paired.insert(scores.paired.end(), results.begin(), results.end());
      }
      if (has(System::kText) && has(System::kShared)) {
        scores.paired.push_back(run.paired_prefilled(job, seed));
      }
    }
  }
  if (config.ablation) report.ablation = run_ablation(config, run);
  const auto dir = config.run_dir();
  write_file_atomic(dir + "/scores.json", eval::scores_json(scores).dump(1));
  const auto now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  report.provenance = "Run on " + describe_machine(config.device) + ", finished " + date +
                      ". Base: `" + config.base_dir + "`. Members trained on " +
                      std::to_string(config.train_batch_size) + " examples per step; evaluated " +
                      std::to_string(config.batch_size) +
                      " examples at once (latency: the seconds of the batched steps an example "
                      "took part in).";
  return eval::write_report(dir, report);
}

}  // namespace kvchain::experiments
