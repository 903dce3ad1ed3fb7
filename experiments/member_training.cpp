#include "experiments/member_training.h"

#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "engine/chain/batch_loss.h"
#include "engine/distributed/data_parallel_group.h"
#include "engine/io/content_hash.h"
#include "engine/io/error.h"
#include "engine/model/checkpoint.h"
#include "engine/training/progress.h"
#include "experiments/splits.h"

namespace kvchain::experiments {
namespace {

using tasks::Training;

// Every training sequence of the member on the split, one per turn it takes (or per record for
// a cascade, the distilled and the single model).
std::vector<std::vector<LayoutPart>> training_sequences(const TrainMemberOptions& options,
                                                        const tasks::LayoutBuilder& builder,
                                                        const Records& records) {
  std::vector<std::vector<LayoutPart>> examples;
  for (size_t i = 0; i < records.records.size(); ++i) {
    for (auto& parts :
         builder.training(records.records[i], records.where[i], options.member, options.training)) {
      examples.push_back(std::move(parts));
    }
  }
  if (examples.empty()) {
    throw Error(options.data_dir + "/" + options.task + "/train.jsonl: no turn of " +
                options.member + " to train on");
  }
  return examples;
}

// Single-round FTHSS trains against the frozen earlier members' cache, the same in every epoch,
// so it is computed once per example (the paper's offline form, which gives the online form's
// loss and gradient: tests/chain/test_fthss_masks.cpp), with the earlier members' prompts and
// inputs dropped, since the trained member never sees them. Each step then runs only the
// member's own part: `own_parts`.
std::vector<KVCache> cache_earlier_members(ChainModel& chain, const std::string& member,
                                           const std::vector<std::vector<LayoutPart>>& examples,
                                           std::vector<std::vector<LayoutPart>>& own_parts) {
  torch::NoGradGuard no_grad;
  std::vector<KVCache> stored;
  Progress progress("cache earlier members", static_cast<int64_t>(examples.size()));
  for (const auto& parts : examples) {
    size_t split = 0;
    while (!(parts[split].tag == SegmentTag{member, SegmentRole::kPrompt})) ++split;
    auto cache = chain.base().make_cache(1);
    if (split > 0) {
      chain.run(cache, {parts.begin(), parts.begin() + split}, /*last_logits_only=*/true);
      for (size_t i = 0; i < split; ++i) {
        const auto& earlier = parts[i].tag.member;
        if (!earlier.empty()) cache.drop({earlier, {SegmentRole::kPrompt, SegmentRole::kInput}});
      }
    }
    stored.push_back(std::move(cache));
    own_parts.emplace_back(parts.begin() + split, parts.end());
    progress.update(static_cast<int64_t>(stored.size()));
  }
  return stored;
}

}  // namespace

TrainMemberOptions default_member_training() {
  TrainMemberOptions options;
  options.adapter.kind = AdapterKind::kPrompt;
  options.adapter.num_virtual_tokens = 50;
  options.trainer.learning_rate = 3e-2;
  options.trainer.grad_accumulation = 1;
  options.trainer.epochs = 3;
  return options;
}

std::string cascade_adapter_path(const std::string& out_dir, const std::string& member) {
  return out_dir + "/" + member + ".safetensors";
}

void train_member(const TrainMemberOptions& options) {
  const auto task = tasks::make_task(options.task, options.data_dir, options.settings);
  auto loaded = load_chain(options.setup);
  auto& chain = *loaded.chain;
  tasks::LayoutBuilder builder(*task, *loaded.tokenizer, loaded.eos_token_id);
  const auto members = task->members();
  const bool cascade = options.member == tasks::kAllMembers;
  if (options.member != tasks::kDistillMember && options.member != tasks::kSingleMember &&
      !cascade) {
    builder.member_index(options.member);
  }
  const auto training = tasks::training_name(options.training);
  if (cascade && !(options.training == Training::kFthss && task->multi_round())) {
    throw Error(std::string("member '") + tasks::kAllMembers +
                "' trains a multi-round task's members together with --method fthss; " +
                options.task + " with --method " + training + " trains one member at a time");
  }
  const bool offline = options.training == Training::kFthss && !task->multi_round();
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
  const auto examples = training_sequences(options, builder, records);

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
    // A cascade's checkpoint names each member's parameters; a lone adapter's are its own.
    const auto prefix = cascade ? member + ".adapter." : std::string("adapter.");
    for (const auto& item : adapter->named_parameters()) {
      parameters.push_back({prefix + item.key(), item.value()});
    }
  }
  auto trainer_options = options.trainer;
  const auto stem = cascade ? options.out + "/" : options.out + ".";
  trainer_options.checkpoint_dir = stem + "checkpoint";
  trainer_options.log_path = stem + "log.jsonl";
  trainer_options.label = options.member + " (" + training + ")";
  Json identity = {{"task", options.task},
                   {"member", options.member},
                   {"method", training},
                   {"data", records.content_hash},
                   {"top_k", options.settings.top_k},
                   {"examples", examples.size()},
                   {"adapter", adapter_config.to_json()},
                   {"trainer", trainer_options.to_json()}};
  for (const auto& [member, path] : options.setup.adapters)
    identity["frozen"][member] = file_content_hash(path);
  if (!options.settings.dense.model.empty()) {
    identity["retriever"] = options.settings.dense.identity();
  }

  std::cerr << "train: " << options.task << "/" << options.member << " (" << training << ", "
            << adapter_kind_name(adapter_config.kind) << " x" << adapter_config.num_virtual_tokens
            << ") on " << examples.size() << " examples\n";
  std::vector<std::vector<LayoutPart>> own_parts;
  const auto stored = offline ? cache_earlier_members(chain, options.member, examples, own_parts)
                              : std::vector<KVCache>{};
  Trainer trainer(parameters, trainer_options, identity.dump());
  const auto count = static_cast<int64_t>(examples.size());
  // One example at a time, or a micro-batch of them as padded rows of one forward.
  const auto summary =
      trainer_options.micro_batch == 1
          ? trainer.train(count,
                          [&](int64_t i) {
                            auto cache = offline ? stored[i].copy() : base.make_cache(1);
                            const auto result =
                                chain.run(cache, offline ? own_parts[i] : examples[i]);
                            return ExampleLoss{result.loss, result.loss_tokens};
                          })
          : trainer.train_batched(count, [&](const std::vector<int64_t>& chosen) {
              std::vector<LossExample> batch;
              for (auto i : chosen) {
                batch.push_back(offline ? LossExample{&own_parts[i], &stored[i]}
                                        : LossExample{&examples[i], nullptr});
              }
              std::vector<ExampleLoss> losses;
              for (const auto& result : batch_losses(chain, batch)) {
                losses.push_back({result.loss, result.loss_tokens});
              }
              return losses;
            });
  // In a data-parallel run every process holds the same adapters; the first writes them.
  const auto& group = trainer_options.data_parallel;
  if (group && group->rank() != 0) return;
  for (size_t i = 0; i < trained.size(); ++i) {
    const auto path = cascade ? cascade_adapter_path(options.out, trained[i].first) : options.out;
    save_adapter(*adapters[i], path);
    std::cerr << "train: wrote " << path << "\n";
  }
  std::cerr << "train: final loss " << summary.final_loss << " ("
            << static_cast<int64_t>(summary.seconds) << " s)\n";
}

}  // namespace kvchain::experiments
