#include "tasks/experiment.h"

#include <algorithm>

#include <filesystem>
#include <iostream>

#include "data/loaders/record_reader.h"
#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/text.h"
#include "engine/model/checkpoint.h"
#include "engine/model/device.h"
#include "engine/training/progress.h"
#include "eval/accuracy.h"
#include "eval/metrics.h"

namespace kvchain::tasks {
namespace fs = std::filesystem;
std::string file_hash(const std::string& path) {
  return std::to_string(std::hash<std::string>{}(read_text_file(path)));
}

TrainMemberOptions default_member_training() {
  TrainMemberOptions options;
  options.adapter.kind = AdapterKind::kPrefix;
  options.trainer.learning_rate = 3e-2;
  options.trainer.grad_accumulation = 1;
  options.trainer.epochs = 3;
  return options;
}

LoadedChain load_chain(const ModelSetup& setup) {
  const auto device = parse_device(setup.device);
  auto base = load_model(setup.base_dir, device);
  base->eval();
  for (auto& p : base->parameters()) p.set_requires_grad(false);
  LoadedChain loaded;
  loaded.tokenizer =
      std::make_unique<BpeTokenizer>(load_tokenizer_beside(setup.base_dir, "the chain"));
  if (base->config().eos_token_ids.empty()) {
    throw Error(setup.base_dir + "/config.json: no eos_token_id (chain members stop on it)");
  }
  loaded.eos_token_id = base->config().eos_token_ids.front();
  loaded.chain = std::make_unique<ChainModel>(base);
  for (const auto& [member, path] : setup.adapters) {
    auto adapter = load_adapter(path, *base);
    for (auto& p : adapter->parameters()) p.set_requires_grad(false);
    loaded.chain->set_adapter(member, adapter);
  }
  return loaded;
}

Records load_split(const std::string& data_dir, const std::string& task, const std::string& split,
                   int64_t limit) {
  const auto path = (fs::path(data_dir) / task / (split + ".jsonl")).string();
  if (!fs::exists(path)) {
    throw Error(path + ": no such file (generate the data with `kvchain data generate`)");
  }
  Records records;
  data::LoadOptions options;
  options.strict = true;
  data::read_jsonl_records(path, options, [&](const Json& value, const std::string& where) {
    if (limit > 0 && static_cast<int64_t>(records.records.size()) >= limit) return;
    records.records.push_back(value);
    records.where.push_back(where);
  });
  records.content_hash = file_hash(path);
  return records;
}

std::string cascade_adapter_path(const std::string& out_dir, const std::string& member) {
  return out_dir + "/" + member + ".safetensors";
}

void train_member(const TrainMemberOptions& options) {
  const auto task = make_task(options.task, options.data_dir, options.settings);
  auto loaded = load_chain(options.setup);
  auto& chain = *loaded.chain;
  LayoutBuilder builder(*task, *loaded.tokenizer, loaded.eos_token_id);
  const auto members = task->members();
  const bool cascade = options.member == kAllMembers;
  if (options.member != kDistillMember && options.member != kSingleMember && !cascade) {
    builder.member_index(options.member);
  }
  if (cascade && !(options.method == Method::kFthss && task->multi_round())) {
    throw Error(std::string("member '") + kAllMembers + "' trains a multi-round task's members " +
                "together with --method fthss; " + options.task + " with --method " +
                method_name(options.method) + " trains one member at a time");
  }
  const bool offline = options.method == Method::kFthss && !task->multi_round();
  if (offline) {
    for (const auto& earlier : members) {
      if (earlier == options.member) break;
      if (!chain.has_adapter(earlier)) {
        throw Error("training " + options.member + " with fthss reads " + earlier +
                    "'s cache: pass --adapter " + earlier + "=FILE");
      }
    }
  }

  const auto records = load_split(options.data_dir, options.task, "train", options.limit);
  std::vector<std::vector<LayoutPart>> examples;
  for (size_t i = 0; i < records.records.size(); ++i) {
    for (auto& parts :
         builder.training(records.records[i], records.where[i], options.member, options.method)) {
      examples.push_back(std::move(parts));
    }
  }
  if (examples.empty()) {
    throw Error(options.data_dir + "/" + options.task + "/train.jsonl: no turn of " +
                options.member + " to train on");
  }

  // The members trained here, with the text each prompt starts from: one, or a cascade's all.
  std::vector<std::pair<std::string, std::string>> trained;
  if (cascade) {
    for (size_t i = 0; i < members.size(); ++i)
      trained.emplace_back(members[i], task->prompt_init(i));
  } else {
    trained.emplace_back(options.member, options.adapter.init_text);
  }
  auto& base = chain.base();
  auto adapter_config = options.adapter;
  adapter_config.base_fingerprint = model_fingerprint(base);
  std::vector<std::shared_ptr<Adapter>> adapters;
  NamedTensors parameters;
  for (const auto& [member, init_text] : trained) {
    auto config = adapter_config;
    config.init_text = init_text;
    auto adapter = std::make_shared<Adapter>(config, base.config());
    adapter->to(base.device());
    adapter->initialise(base, loaded.tokenizer->encode(init_text));
    chain.set_adapter(member, adapter);
    adapters.push_back(adapter);
    // A lone adapter keeps its checkpoint names from before cascades existed.
    const auto prefix = cascade ? member + ".adapter." : std::string("adapter.");
    for (const auto& item : adapter->named_parameters()) {
      parameters.push_back({prefix + item.key(), item.value()});
    }
  }
  auto trainer_options = options.trainer;
  const auto stem = cascade ? options.out + "/" : options.out + ".";
  trainer_options.checkpoint_dir = stem + "checkpoint";
  trainer_options.log_path = stem + "log.jsonl";
  trainer_options.label = options.member + " (" + method_name(options.method) + ")";
  Json identity = {{"task", options.task},
                   {"member", options.member},
                   {"method", method_name(options.method)},
                   {"data", records.content_hash},
                   {"top_k", options.settings.top_k},
                   {"examples", examples.size()},
                   {"adapter", adapter_config.to_json()},
                   {"trainer", trainer_options.to_json()}};
  for (const auto& [member, path] : options.setup.adapters)
    identity["frozen"][member] = file_hash(path);

  std::cerr << "train: " << options.task << "/" << options.member << " ("
            << method_name(options.method) << ", " << adapter_kind_name(adapter_config.kind) << " x"
            << adapter_config.num_virtual_tokens << ") on " << examples.size() << " examples\n";
  // Single-round FTHSS trains against the frozen earlier members' cache. That cache is the same
  // in every epoch, so it is computed once per example (the paper's offline form, which gives
  // the online form's loss and gradient: tests/test_fthss_masks.cpp), with the earlier members'
  // prompts and inputs evicted, since the trained member never sees them. Each step then runs
  // only the member's own part. A cascade trains every member, so each step runs it all.
  std::vector<KVCache> stored;
  std::vector<std::vector<LayoutPart>> own_parts;
  if (offline) {
    torch::NoGradGuard no_grad;
    Progress progress("cache earlier members", static_cast<int64_t>(examples.size()));
    for (const auto& parts : examples) {
      size_t split = 0;
      while (!(parts[split].tag == SegmentTag{options.member, SegmentRole::kPrompt})) ++split;
      auto cache = base.make_cache(1);
      if (split > 0) {
        chain.run(cache, {parts.begin(), parts.begin() + split}, /*last_logits_only=*/true);
        cache.evict([&](const Segment& segment) {
          return segment.tag.role != SegmentRole::kShared &&
                 segment.tag.role != SegmentRole::kOutput && segment.tag.member != options.member;
        });
      }
      stored.push_back(std::move(cache));
      own_parts.emplace_back(parts.begin() + split, parts.end());
      progress.update(static_cast<int64_t>(stored.size()));
    }
  }

  Trainer trainer(parameters, trainer_options, identity.dump());
  const auto summary = trainer.train(static_cast<int64_t>(examples.size()), [&](int64_t i) {
    if (!stored.empty()) {
      auto cache = stored[i].clone();
      const auto result = chain.run(cache, own_parts[i]);
      return ExampleLoss{result.loss, result.loss_tokens};
    }
    auto cache = base.make_cache(1);
    const auto result = chain.run(cache, examples[i]);
    return ExampleLoss{result.loss, result.loss_tokens};
  });
  for (size_t i = 0; i < trained.size(); ++i) {
    const auto path = cascade ? cascade_adapter_path(options.out, trained[i].first) : options.out;
    save_adapter(*adapters[i], path);
    std::cerr << "train: wrote " << path << "\n";
  }
  std::cerr << "train: final loss " << summary.final_loss << " ("
            << static_cast<int64_t>(summary.seconds) << " s)\n";
}

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

namespace {

// Each member of the mode has its adapter, and no other adapter is given: a stray one would
// turn the base-alone baselines into something else without a word.
void check_adapters(const Task& task, RunMode mode,
                    const std::map<std::string, std::string>& given) {
  const auto wanted = adapters_of(task, mode);
  const std::string what = std::string("--mode ") + run_mode_name(mode);
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

EvalSummary evaluate_chain(const EvalOptions& options) {
  const auto task = make_task(options.task, options.data_dir, options.settings);
  check_adapters(*task, options.mode, options.setup.adapters);
  auto loaded = load_chain(options.setup);
  LayoutBuilder builder(*task, *loaded.tokenizer, loaded.eos_token_id);
  const auto records = load_split(options.data_dir, options.task, options.split, options.limit);

  RunnerOptions runner_options;
  runner_options.mode = options.mode == RunMode::kShared ? ChainMode::kShared : ChainMode::kText;
  runner_options.evict = options.evict;
  runner_options.eos_token_id = loaded.eos_token_id;
  if (task->multi_round() && options.mode == RunMode::kShared) {
    runner_options.prompts_first = task->members();
  }
  ChainRunner runner(*loaded.chain, loaded.tokenizer.get(), runner_options);

  EvalSummary summary;
  std::string predictions;
  Progress progress(options.task + " " + run_mode_name(options.mode), records.records.size());
  for (size_t i = 0; i < records.records.size(); ++i) {
    const auto& record = records.records[i];
    const auto& where = records.where[i];
    const auto turns =
        runner.run(builder.shared_ids(record, where), [&](const std::vector<TurnRecord>& done) {
          return builder.next_turn(record, where, options.mode, done);
        });
    const auto prediction = builder.answer(options.mode, turns);
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
    predictions += Json{{"id", record.value("id", where)},
                        {"mode", run_mode_name(options.mode)},
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
    progress.update(static_cast<int64_t>(i + 1), status);
  }
  if (summary.n > 0) {
    const double n = static_cast<double>(summary.n);
    for (double* v : {&summary.em, &summary.f1, &summary.acc, &summary.prefilled, &summary.decoded,
                      &summary.prefill_seconds, &summary.decode_seconds, &summary.kv_bytes_peak}) {
      *v /= n;
    }
  }
  if (!options.predictions_path.empty()) write_file_atomic(options.predictions_path, predictions);
  return summary;
}

}  // namespace kvchain::tasks
