#include <filesystem>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/data_parallel_launch.h"
#include "app/options.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "experiments/chain_evaluation.h"
#include "experiments/member_training.h"
#include "experiments/practice.h"
#include "experiments/reading_probe.h"
#include "experiments/suite.h"

namespace kvchain::app {
namespace {

using experiments::ModelSetup;

void add_setup_options(CLI::App& command, ModelSetup& setup, std::vector<std::string>& adapters,
                       std::string& data_dir, std::string& task, tasks::TaskSettings& settings) {
  command.add_option("--base", setup.base_dir, "Base model directory (with tokenizer.json)")
      ->required();
  command.add_option("--data", data_dir, "World / dataset directory with <task>/<split>.jsonl")
      ->required();
  command.add_option("--task", task, "Task name")->required();
  command.add_option("--adapter", adapters, "MEMBER=FILE, a trained member (repeatable)");
  command.add_option("--device", setup.device, "cpu, cuda or cuda:N");
  command
      .add_option("--top-k", settings.top_k,
                  "Passages retrieved per query (default: the task's, 1; Compression&QA: every "
                  "passage a record carries)")
      ->check(non_negative());
}

struct TrainArgs {
  experiments::TrainMemberOptions options;
  std::vector<std::string> adapters;
  std::string method = "standard", kind = "prompt";
  int64_t nproc = 1;
};

struct PracticeArgs {
  std::string task, out;
  std::vector<std::string> worlds;
};

struct ChainArgs {
  experiments::EvalOptions options;
  std::vector<std::string> adapters;
  std::string mode = "shared";
};

void register_train(CLI::App& app) {
  auto train = std::make_shared<TrainArgs>();
  train->options = experiments::default_member_training();
  auto* command = app.add_subcommand("train", "Prompt-tune one chain member on a task");
  add_setup_options(*command, train->options.setup, train->adapters, train->options.data_dir,
                    train->options.task, train->options.settings);
  command
      ->add_option("--member", train->options.member,
                   "Member to train (or distill; single for the Prompt Tuning baseline; all for "
                   "a multi-round task's FTHSS cascade, written as OUT/MEMBER.safetensors)")
      ->required();
  command->add_option("--method", train->method,
                      "How the member is trained: standard, fthss, distill or single");
  command->add_option("--out", train->options.out, "Adapter file (a directory for --member all)")
      ->required();
  command->add_option("--kind", train->kind,
                      "prompt (shallow, the paper's and the default) or prefix (deep)");
  command
      ->add_option("--virtual-tokens", train->options.adapter.num_virtual_tokens, "Prompt length")
      ->check(CLI::Range(int64_t{1}, kMaxVirtualTokens));
  command->add_option("--init-text", train->options.adapter.init_text,
                      "Text the prompt starts from");
  command->add_flag("--reparameterize", train->options.adapter.reparameterize,
                    "Deep prompts through an MLP (PEFT's prefix_projection)");
  command
      ->add_option("--grad-accumulation", train->options.trainer.grad_accumulation,
                   "Examples per optimizer step")
      ->check(positive());
  command
      ->add_option("--micro-batch", train->options.trainer.micro_batch,
                   "Examples per forward pass, as padded rows (a step's examples are split "
                   "into these)")
      ->check(CLI::Range(int64_t{1}, experiments::kMaxEvalBatch));
  command->add_option("--limit", train->options.limit, "Use the first N training records")
      ->check(non_negative());
  add_trainer_options(*command, train->options.trainer);
  command
      ->add_option("--nproc", train->nproc,
                   "Processes on this host that share each step's examples (data parallel, "
                   "one per GPU on CUDA)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  command->callback([train] {
    if (train->nproc > 1) return launch_local_ranks(train->nproc);
    auto options = train->options;
    options.trainer.data_parallel = join_data_parallel(options.setup.device);
    options.setup.adapters = parse_adapters(train->adapters);
    options.training = tasks::parse_training(train->method);
    options.adapter.kind = parse_adapter_kind(train->kind, "--kind");
    experiments::train_member(options);
  });
}

void register_chain(CLI::App& app) {
  auto chain = std::make_shared<ChainArgs>();
  auto* command = app.add_subcommand(
      "chain",
      "Run a method on a split and score it: a chain (text, shared, shared-evict, "
      "distill) or a single-model baseline (native, rag, single)");
  add_setup_options(*command, chain->options.setup, chain->adapters, chain->options.data_dir,
                    chain->options.task, chain->options.settings);
  command->add_option("--mode", chain->mode,
                      "text, shared (FTHSS), shared-evict (FTHSS, finished members' prompts and "
                      "inputs dropped from the cache), distill, native, rag or single");
  command->add_option("--split", chain->options.split, "train, dev or test");
  command->add_option("--limit", chain->options.limit, "Run the first N records")
      ->check(non_negative());
  command
      ->add_option("--batch-size", chain->options.batch_size,
                   "Examples run at once (1: one by one, with CUDA graphs on a GPU)")
      ->check(CLI::Range(int64_t{1}, experiments::kMaxEvalBatch));
  command->add_option("--out", chain->options.predictions_path, "Predictions JSONL to write");
  command->callback([chain] {
    auto options = chain->options;
    options.setup.adapters = parse_adapters(chain->adapters);
    options.system = eval::parse_system(chain->mode, "--mode", "mode");
    auto summary = experiments::evaluate_chain(options).to_json();
    summary["task"] = options.task;
    summary["mode"] = eval::system_key(options.system);
    std::cout << summary.dump() << "\n";
  });
}

struct ProbeArgs {
  std::string base, device = "cpu", out;
  std::vector<std::string> items;
};

void register_probe(CLI::App& app) {
  auto probe = std::make_shared<ProbeArgs>();
  auto* command = app.add_subcommand(
      "probe", "How well a base reads: exact answers per layout on worlds it never saw");
  command->add_option("--base", probe->base, "Base model directory (with tokenizer.json)")
      ->required();
  command
      ->add_option("--items", probe->items,
                   "A world's probe.jsonl, or a world directory holding one (repeatable)")
      ->required();
  command->add_option("--device", probe->device, "cpu, cuda or cuda:N");
  command->add_option("--out", probe->out, "Also write the report as JSON here");
  command->callback([probe] {
    auto files = probe->items;
    for (auto& file : files) {
      if (std::filesystem::is_directory(file)) file += "/probe.jsonl";
    }
    const auto report = experiments::run_reading_probe(probe->base, files, probe->device);
    if (!probe->out.empty()) write_json_file_atomic(probe->out, report.to_json());
    std::cout << report.table();
  });
}

}  // namespace

void register_experiment_commands(CLI::App& app) {
  register_train(app);

  auto practice = std::make_shared<PracticeArgs>();
  auto* practice_cmd = app.add_subcommand(
      "practice", "Write worlds' training records as pretraining text (JSONL), in chain layout");
  practice_cmd->add_option("--task", practice->task, "Task name")->required();
  practice_cmd->add_option("--data", practice->worlds, "World directory (repeatable)")->required();
  practice_cmd->add_option("--out", practice->out, "JSONL file to write")->required();
  practice_cmd->callback([practice] {
    const auto n = experiments::write_practice(practice->task, practice->worlds, practice->out);
    std::cerr << "practice: " << n << " documents from " << practice->worlds.size()
              << " worlds; wrote " << practice->out << "\n";
  });

  auto suite_path = std::make_shared<std::string>();
  auto* suite_cmd = app.add_subcommand(
      "suite", "Train what is missing, evaluate every task x method x seed, write the report");
  suite_cmd->add_option("config", *suite_path, "Suite JSON (experiments/suites/smoke.json)")
      ->required();
  auto suite_nproc = std::make_shared<int64_t>(1);
  suite_cmd
      ->add_option("--nproc", *suite_nproc,
                   "Processes on this host that share the suite's training ((task, seed) "
                   "pairs) and each evaluation's records")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  suite_cmd->callback([suite_path, suite_nproc] {
    if (*suite_nproc > 1) return launch_local_ranks(*suite_nproc);
    auto config = experiments::read_suite_config(*suite_path);
    const auto group = join_data_parallel(config.device, kSuiteCollectiveTimeout);
    const auto report = experiments::run_suite(config, group.get());
    if (!report.empty()) std::cout << "report: " << report << "\n";
  });

  register_chain(app);
  register_probe(app);
}

}  // namespace kvchain::app
