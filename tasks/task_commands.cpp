#include "tasks/task_commands.h"

#include <iostream>
#include <memory>

#include "engine/cli/commands.h"
#include "engine/io/error.h"
#include "tasks/experiment.h"
#include "tasks/practice.h"
#include "tasks/suite.h"

namespace kvchain::tasks {
namespace {

// "--adapter compressor=FILE" (repeatable) into member -> file.
std::map<std::string, std::string> parse_adapters(const std::vector<std::string>& items) {
  std::map<std::string, std::string> adapters;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      throw Error("--adapter '" + item + "': expected MEMBER=FILE");
    }
    adapters[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return adapters;
}

void add_setup_options(CLI::App& command, ModelSetup& setup, std::vector<std::string>& adapters,
                       std::string& data_dir, std::string& task, TaskSettings& settings) {
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
      ->check(CLI::NonNegativeNumber);
}

struct TrainArgs {
  TrainMemberOptions options;
  std::vector<std::string> adapters;
  std::string method = "standard", kind = "prefix";
};

struct PracticeArgs {
  std::string task, out;
  std::vector<std::string> worlds;
};

struct ChainArgs {
  EvalOptions options;
  std::vector<std::string> adapters;
  std::string mode = "shared";
};

}  // namespace

void register_task_commands(CLI::App& app) {
  auto train = std::make_shared<TrainArgs>();
  train->options = default_member_training();
  auto* train_cmd = app.add_subcommand("train", "Prompt-tune one chain member on a task");
  add_setup_options(*train_cmd, train->options.setup, train->adapters, train->options.data_dir,
                    train->options.task, train->options.settings);
  train_cmd
      ->add_option("--member", train->options.member,
                   "Member to train (or distill; single for the Prompt Tuning baseline; all for "
                   "a multi-round task's FTHSS cascade, written as OUT/MEMBER.safetensors)")
      ->required();
  train_cmd->add_option("--method", train->method, "standard, fthss, distill or single");
  train_cmd->add_option("--out", train->options.out, "Adapter file (a directory for --member all)")
      ->required();
  train_cmd->add_option("--kind", train->kind, "prefix (deep, default) or prompt (shallow)");
  train_cmd
      ->add_option("--virtual-tokens", train->options.adapter.num_virtual_tokens, "Prompt length")
      ->check(CLI::PositiveNumber);
  train_cmd->add_option("--init-text", train->options.adapter.init_text,
                        "Text the prompt starts from");
  train_cmd->add_flag("--reparameterize", train->options.adapter.reparameterize,
                      "Deep prompts through an MLP (PEFT's prefix_projection)");
  train_cmd
      ->add_option("--grad-accumulation", train->options.trainer.grad_accumulation,
                   "Examples per optimizer step")
      ->check(CLI::PositiveNumber);
  train_cmd->add_option("--limit", train->options.limit, "Use the first N training records");
  cli::add_trainer_options(*train_cmd, train->options.trainer);
  train_cmd->callback([train] {
    auto options = train->options;
    options.setup.adapters = parse_adapters(train->adapters);
    options.method = parse_method(train->method);
    options.adapter.kind = parse_adapter_kind(train->kind, "--kind");
    train_member(options);
  });

  auto practice = std::make_shared<PracticeArgs>();
  auto* practice_cmd = app.add_subcommand(
      "practice", "Write worlds' training records as pretraining text (JSONL), in chain layout");
  practice_cmd->add_option("--task", practice->task, "Task name")->required();
  practice_cmd->add_option("--data", practice->worlds, "World directory (repeatable)")->required();
  practice_cmd->add_option("--out", practice->out, "JSONL file to write")->required();
  practice_cmd->callback([practice] {
    const auto n = write_practice(practice->task, practice->worlds, practice->out);
    std::cerr << "practice: " << n << " documents from " << practice->worlds.size()
              << " worlds; wrote " << practice->out << "\n";
  });

  auto suite_path = std::make_shared<std::string>();
  auto* suite_cmd = app.add_subcommand(
      "suite", "Train what is missing, evaluate every task x method x seed, write the report");
  suite_cmd->add_option("config", *suite_path, "Suite JSON (eval/suites/smoke.json)")->required();
  suite_cmd->callback([suite_path] {
    const auto report = run_suite(read_suite_config(*suite_path));
    std::cout << "report: " << report << "\n";
  });

  auto chain = std::make_shared<ChainArgs>();
  auto* chain_cmd = app.add_subcommand("chain",
                                       "Run a chain (text, shared, distill) or a single-model "
                                       "baseline (native, rag, single) on a split and score it");
  add_setup_options(*chain_cmd, chain->options.setup, chain->adapters, chain->options.data_dir,
                    chain->options.task, chain->options.settings);
  chain_cmd->add_option("--mode", chain->mode,
                        "text, shared (FTHSS), distill, native, rag or single");
  chain_cmd->add_option("--split", chain->options.split, "train, dev or test");
  chain_cmd->add_option("--limit", chain->options.limit, "Run the first N records");
  chain_cmd->add_flag("--evict", chain->options.evict,
                      "Shared mode: drop finished members' prompts and inputs from the cache");
  chain_cmd->add_option("--out", chain->options.predictions_path, "Predictions JSONL to write");
  chain_cmd->callback([chain] {
    auto options = chain->options;
    options.setup.adapters = parse_adapters(chain->adapters);
    options.mode = parse_run_mode(chain->mode);
    auto summary = evaluate_chain(options).to_json();
    summary["task"] = options.task;
    summary["mode"] = run_mode_name(options.mode);
    std::cout << summary.dump() << "\n";
  });
}

}  // namespace kvchain::tasks
