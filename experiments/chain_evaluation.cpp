#include "experiments/chain_evaluation.h"

#include <algorithm>
#include <cstdio>

#include "engine/chain/batch_runner.h"
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
  EvalSummary summary;
  const auto count = records.records.size();
  std::vector<std::string> lines(count);
  const auto key = eval::system_key(options.system);
  Progress progress(options.task + " " + key, count);
  const auto plan_of = [&](size_t i) {
    const auto& record = records.records[i];
    const auto& where = records.where[i];
    return BatchRunner::Example{
        builder.shared_ids(record, where), [&, i](const std::vector<TurnRecord>& done) {
          return builder.next_turn(records.records[i], records.where[i], options.system, done);
        }};
  };
  const auto score = [&](size_t i, const std::vector<TurnRecord>& turns) {
    const auto& record = records.records[i];
    const auto& where = records.where[i];
    const auto prediction = builder.answer(options.system, turns);
    const auto gold = task->golden_answers(record, where);
    const double em = 100 * eval::exact_match(prediction, gold);
    const double f1 = 100 * eval::token_f1(prediction, gold);
    const double acc = 100 * eval::choice_accuracy(prediction, gold);
    Json turn_json = Json::array();
    int64_t peak = 0;
    for (const auto& turn : turns) {
      turn_json.push_back(turn.to_json());
      summary.prefilled += turn.prefilled;
      summary.decoded += turn.decoded;
      summary.prefill_seconds += turn.prefill_seconds;
      summary.decode_seconds += turn.decode_seconds;
      peak = std::max(peak, turn.kv_bytes_peak);
    }
    summary.kv_bytes_peak += peak;
    summary.em += em;
    summary.f1 += f1;
    summary.acc += acc;
    ++summary.n;
    lines[i] = Json{{"id", record.value("id", where)},
                    {"mode", key},
                    {"prediction", prediction},
                    {"golden_answers", gold},
                    {"em", em},
                    {"f1", f1},
                    {"acc", acc},
                    {"metrics", task->metrics_of(record, where)},
                    {"turns", turn_json}}
                   .dump() +
               "\n";
    char status[64];
    std::snprintf(status, sizeof status, "EM %.1f F1 %.1f Acc %.1f", summary.em / summary.n,
                  summary.f1 / summary.n, summary.acc / summary.n);
    progress.update(summary.n, status);
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
  if (summary.n > 0) {
    const double n = static_cast<double>(summary.n);
    for (double* v : {&summary.em, &summary.f1, &summary.acc, &summary.prefilled, &summary.decoded,
                      &summary.prefill_seconds, &summary.decode_seconds, &summary.kv_bytes_peak}) {
      *v /= n;
    }
  }
  if (!options.predictions_path.empty()) {
    std::string predictions;
    for (const auto& line : lines) predictions += line;
    write_file_atomic(options.predictions_path, predictions);
  }
  return summary;
}

}  // namespace kvchain::experiments
