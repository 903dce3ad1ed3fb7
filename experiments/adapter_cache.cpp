#include "experiments/adapter_cache.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "engine/io/content_hash.h"
#include "engine/io/json_file.h"
#include "engine/model/device.h"
#include "experiments/member_training.h"
#include "experiments/source_identity.h"

namespace kvchain::experiments {
namespace fs = std::filesystem;
namespace {

using tasks::Training;

// The member whose prompt text an adapter starts from: the first one's for the distilled
// model, the last one's (the answer's) for the single model.
size_t init_index(const std::vector<std::string>& members, const std::string& member) {
  if (member == tasks::kDistillMember) return 0;
  const auto it = std::find(members.begin(), members.end(), member);
  return it == members.end() ? members.size() - 1 : static_cast<size_t>(it - members.begin());
}

}  // namespace

AdapterCache::AdapterCache(const SuiteConfig& config, TaskOf task_of)
    : config_(config),
      task_of_(std::move(task_of)),
      base_hash_(file_content_hash(config.base_dir + "/model.safetensors")) {}

const std::string& AdapterCache::split_hash(const SuiteJob& job, const std::string& split) {
  const auto path = job.dir + "/" + job.task + "/" + split + ".jsonl";
  auto found = split_hashes_.find(path);
  if (found == split_hashes_.end())
    found = split_hashes_.emplace(path, file_content_hash(path)).first;
  return found->second;
}

std::string AdapterCache::adapter(const SuiteJob& job, const std::string& member, Training training,
                                  int64_t seed, const std::map<std::string, std::string>& earlier) {
  const auto& task = task_of_(job);
  const auto members = task.members();
  const bool cascade = member == tasks::kAllMembers;
  const int64_t epochs =
      member == members.back() || cascade ? config_.answer_epochs : config_.epochs;
  Json key = {{"task", job.task},
              {"member", member},
              {"method", tasks::training_name(training)},
              {"seed", seed},
              {"epochs", epochs},
              {"limit", config_.train_limit},
              {"top_k", config_.top_k},
              {"adapter", adapter_kind_name(config_.adapter_kind)},
              {"virtual_tokens", config_.virtual_tokens},
              {"learning_rate", config_.learning_rate},
              {"train", split_hash(job, "train")},
              {"base", base_hash_},
              {"earlier", earlier},
              {"device", device_kind(config_.device)},
              {"sources", KVCHAIN_SOURCE_IDENTITY}};
  // A key names its training batch only where it batches, and its retriever only where it is
  // dense, so one-at-a-time BM25 adapters keep theirs.
  if (config_.train_batch_size != 1) key["train_batch_size"] = config_.train_batch_size;
  if (!config_.dense.model.empty()) key["retriever"] = config_.dense.identity();
  const auto path = config_.results_dir + "/cache/adapters/" + job.stem() + "-" + member + "-" +
                    tasks::training_name(training) + "-s" + std::to_string(seed) + "-" +
                    content_hash(key.dump()) + (cascade ? "" : ".safetensors");
  // A cascade's directory is complete once its last member's adapter is written.
  const auto done = cascade ? cascade_adapter_path(path, members.back()) : path;
  if (fs::exists(done)) return path;
  fs::create_directories(fs::path(path).parent_path());
  std::cerr << "suite: train " << job.label() << " " << member << " ("
            << tasks::training_name(training) << ", seed " << seed << ")\n";
  auto options = default_member_training();
  options.setup = {config_.base_dir, config_.device, earlier};
  options.data_dir = job.dir;
  options.task = job.task;
  options.settings = config_.task_settings();
  options.member = member;
  options.training = training;
  options.limit = config_.train_limit;
  options.out = path;
  options.trainer.epochs = epochs;
  options.trainer.learning_rate = config_.learning_rate;
  options.adapter.kind = config_.adapter_kind;
  options.adapter.num_virtual_tokens = config_.virtual_tokens;
  options.trainer.seed = static_cast<uint64_t>(seed);
  options.trainer.grad_accumulation = config_.train_batch_size;
  options.trainer.micro_batch = config_.train_batch_size;
  options.adapter.init_text = task.prompt_init(init_index(members, member));
  train_member(options);
  return path;
}

std::map<std::string, std::string> AdapterCache::adapters_for(const SuiteJob& job,
                                                              eval::System system, int64_t seed) {
  const auto& task = task_of_(job);
  std::map<std::string, std::string> adapters;
  const bool shared = tasks::chain_mode(system) == ChainMode::kShared;
  if (shared && task.multi_round()) {
    const auto dir = adapter(job, tasks::kAllMembers, Training::kFthss, seed, {});
    for (const auto& member : task.members()) {
      adapters[member] = cascade_adapter_path(dir, member);
    }
    return adapters;
  }
  const auto last = task.members().back();
  for (const auto& member : tasks::adapters_of(task, system)) {
    const auto training = member == tasks::kDistillMember  ? Training::kDistill
                          : member == tasks::kSingleMember ? Training::kSingle
                          : shared && member == last       ? Training::kFthss
                                                           : Training::kStandard;
    // Members come in chain order, so the ones FTHSS reads are already here.
    adapters[member] =
        adapter(job, member, training, seed,
                training == Training::kFthss ? adapters : std::map<std::string, std::string>{});
  }
  return adapters;
}

}  // namespace kvchain::experiments
