#include "experiments/chain_evaluation.h"

#include <algorithm>
#include <cstdio>

#include "engine/chain/batch_runner.h"
#include "engine/distributed/rank_placement.h"
#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/fault_point.h"
#include "engine/io/text.h"
#include "engine/training/progress.h"
#include "eval/accuracy.h"
#include "eval/metrics.h"
#include "experiments/splits.h"
#include "tasks/layouts.h"

namespace kvchain::experiments {
namespace {

using eval::System;

// Each member of the system has its adapter, and no other adapter is given: a stray one would
// turn the base-alone baselines into something else without a word.
void check_adapters(const tasks::Task& task, System system,
                    const std::map<std::string, std::string>& given) {
  const auto wanted = tasks::adapters_of(task, system);
  const std::string what = std::string("--mode ") + eval::system_key(system);
  for (const auto& member : wanted) {
    if (given.count(member) == 0) {
      throw Error(what + " runs " + member + ": pass --adapter " + member + "=FILE");
    }
  }
  for (const auto& [member, file] : given) {
    if (std::find(wanted.begin(), wanted.end(), member) == wanted.end()) {
      throw Error(what + " takes no adapter for '" + member + "' (" +
                  (wanted.empty() ? std::string("it runs the base alone") : join_names(wanted)) +
                  ")");
    }
  }
}

}  // namespace

Json EvalSummary::to_json() const {
  return {{"n", n},
          {"em", em},
          {"f1", f1},
          {"acc", acc},
          {"prefilled_tokens", prefilled},
          {"decoded_tokens", decoded},
          {"prefill_s", prefill_seconds},
          {"decode_s", decode_seconds},
          {"kv_bytes_peak", kv_bytes_peak}};
}

void write_predictions(const std::string& path, const std::vector<Json>& predictions) {
  std::string text;
  for (const auto& row : predictions) text += row.dump() + "\n";
  write_file_atomic(path, text);
}

EvalSummary summarize_predictions(const std::vector<Json>& predictions) {
  EvalSummary summary;
  for (const auto& example : predictions) {
    int64_t peak = 0;
    for (const auto& turn : example.at("turns")) {
      summary.prefilled += turn.at("prefilled").get<double>();
      summary.decoded += turn.at("decoded").get<double>();
      summary.prefill_seconds += turn.at("prefill_s").get<double>();
      summary.decode_seconds += turn.at("decode_s").get<double>();
      peak = std::max(peak, turn.at("kv_bytes_peak").get<int64_t>());
    }
    summary.kv_bytes_peak += static_cast<double>(peak);
    summary.em += example.at("em").get<double>();
    summary.f1 += example.at("f1").get<double>();
    summary.acc += example.at("acc").get<double>();
    ++summary.n;
  }
  if (summary.n > 0) {
    const double n = static_cast<double>(summary.n);
    for (double* v : {&summary.em, &summary.f1, &summary.acc, &summary.prefilled, &summary.decoded,
                      &summary.prefill_seconds, &summary.decode_seconds, &summary.kv_bytes_peak}) {
      *v /= n;
    }
  }
  return summary;
}

EvalSummary evaluate_chain(const EvalOptions& options) {
  const auto task = tasks::make_task(options.task, options.data_dir, options.settings);
  check_adapters(*task, options.system, options.setup.adapters);
  auto loaded = load_chain(options.setup);
  tasks::LayoutBuilder builder(*task, *loaded.tokenizer, loaded.eos_token_id);
  const auto records = load_split(options.data_dir, options.task, options.split, options.limit);

  RunnerOptions runner_options;
  runner_options.mode = tasks::chain_mode(options.system);
  runner_options.evict = options.system == System::kSharedEvict;
  runner_options.eos_token_id = loaded.eos_token_id;
  if (task->multi_round() && runner_options.mode == ChainMode::kShared) {
    runner_options.prompts_first = task->members();
  }
  const auto total = static_cast<int64_t>(records.records.size());
  if (options.shares < 1 || options.share < 0 || options.share >= options.shares) {
    throw Error("evaluation: share " + std::to_string(options.share) + " of " +
                std::to_string(options.shares) + " does not exist");
  }
  const auto range = contiguous_share(total, options.share, options.shares);
  const auto first = static_cast<size_t>(range.begin);
  const auto count = static_cast<size_t>(range.end - range.begin);
  std::vector<Json> rows(count);
  const auto key = eval::system_key(options.system);
  Progress progress(options.task + " " + key, static_cast<int64_t>(count));
  double em_sum = 0, f1_sum = 0, acc_sum = 0;  // the progress line's running scores
  int64_t done = 0;
  const auto plan_of = [&](size_t i) {
    const auto& record = records.records[first + i];
    const auto& where = records.where[first + i];
    return BatchRunner::Example{
        builder.shared_ids(record, where), [&, i](const std::vector<TurnRecord>& turns) {
          return builder.next_turn(records.records[first + i], records.where[first + i],
                                   options.system, turns);
        }};
  };
  const auto score = [&](size_t i, const std::vector<TurnRecord>& turns) {
    const auto& record = records.records[first + i];
    const auto& where = records.where[first + i];
    const auto prediction = builder.answer(options.system, turns);
    const auto gold = task->golden_answers(record, where);
    const double em = 100 * eval::exact_match(prediction, gold);
    const double f1 = 100 * eval::token_f1(prediction, gold);
    const double acc = 100 * eval::choice_accuracy(prediction, gold);
    Json turn_json = Json::array();
    for (const auto& turn : turns) turn_json.push_back(turn.to_json());
    rows[i] = Json{{"id", record.value("id", where)},
                   {"mode", key},
                   {"prediction", prediction},
                   {"golden_answers", gold},
                   {"em", em},
                   {"f1", f1},
                   {"acc", acc},
                   {"metrics", task->metrics_of(record, where)},
                   {"turns", turn_json}};
    em_sum += em;
    f1_sum += f1;
    acc_sum += acc;
    ++done;
    char status[64];
    std::snprintf(status, sizeof status, "EM %.1f F1 %.1f Acc %.1f", em_sum / done, f1_sum / done,
                  acc_sum / done);
    progress.update(done, status);
    fault_point("eval-example");
  };
  // Batch 1 keeps the one-example runner, whose decode steps replay as CUDA graphs.
  if (options.batch_size == 1) {
    ChainRunner runner(*loaded.chain, loaded.tokenizer.get(), runner_options);
    for (size_t i = 0; i < count; ++i) {
      auto example = plan_of(i);
      score(i, runner.run(example.shared, example.next_turn));
    }
  } else {
    BatchRunner runner(*loaded.chain, loaded.tokenizer.get(), runner_options, options.batch_size);
    runner.run(count, plan_of, score);
  }
  if (!options.predictions_path.empty()) write_predictions(options.predictions_path, rows);
  return summarize_predictions(rows);
}

}  // namespace kvchain::experiments
