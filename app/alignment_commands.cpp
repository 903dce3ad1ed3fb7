// align train: K-V space adapters that let different models read each other's caches.
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "app/options.h"
#include "engine/alignment/alignment_training.h"

namespace kvchain::app {

void register_alignment_commands(CLI::App& app) {
  auto* align = app.add_subcommand(
      "align",
      "Align different models' K-V caches in a shared latent space (chains of different "
      "models)");
  align->require_subcommand(1);
  auto options = std::make_shared<AlignmentOptions>();
  options->trainer.learning_rate = 1e-3;
  options->trainer.grad_accumulation = 8;
  options->trainer.epochs = 1;
  auto* train = align->add_subcommand(
      "train",
      "Train one adapter per frozen model: each model's cache of a document's prefix, "
      "translated into every other model, lets that model predict the suffix");
  train
      ->add_option("--models", options->models,
                   "Checkpoint directories (two or more, one tokenizer)")
      ->required()
      ->delimiter(',')
      ->check(CLI::ExistingDirectory);
  train
      ->add_option("--data", options->data,
                   "Documents: a text file (one a line) or JSONL of {\"text\": ...} records")
      ->required()
      ->check(CLI::ExistingFile);
  train->add_option("--out", options->out_dir, "Directory for the adapters, log and checkpoint")
      ->required();
  train
      ->add_option("--shared-dim", options->shared_dim,
                   "Dimensions of the shared space a token's keys (and values) take per layer "
                   "(0: the widest model's kv heads x head dim)")
      ->check(non_negative());
  train->add_option("--prefix-tokens", options->prefix_tokens, "Tokens the sender prefills")
      ->check(positive());
  train
      ->add_option("--suffix-tokens", options->suffix_tokens,
                   "Tokens the receiver predicts after them")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  train
      ->add_option("--reconstruction", options->reconstruction,
                   "Weight of each model's own cache sent through the space and back")
      ->check(CLI::NonNegativeNumber);
  train->add_option("--limit", options->limit, "Use the first N documents")->check(non_negative());
  train
      ->add_option("--grad-accumulation", options->trainer.grad_accumulation,
                   "Examples (document, sender, receiver) per optimizer step")
      ->check(positive());
  train->add_option("--device", options->device, "cpu, cuda or cuda:N");
  add_trainer_options(*train, options->trainer);
  train->callback([options] {
    const auto result = train_alignment(*options);
    std::cout << "align: " << result.summary.steps << " steps, final loss "
              << result.summary.final_loss << "\n";
    for (const auto& path : result.adapter_paths) std::cout << path << "\n";
  });
}

}  // namespace kvchain::app
