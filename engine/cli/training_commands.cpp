#include <filesystem>
#include <memory>

#include "engine/cli/commands.h"
#include "engine/io/error.h"
#include "engine/model/model_presets.h"
#include "engine/training/pretrain.h"

namespace kvchain::cli {

void add_trainer_options(CLI::App& command, TrainerOptions& options) {
  command
      .add_option("--epochs", options.epochs,
                  "Passes over the training data (0: write the untrained start, a baseline)")
      ->check(CLI::NonNegativeNumber);
  command.add_option("--lr", options.learning_rate, "Peak learning rate")
      ->check(CLI::PositiveNumber);
  command.add_option("--seed", options.seed, "Seed for initialisation and example order");
  command.add_option("--checkpoint-every", options.checkpoint_every,
                     "Optimizer steps between checkpoints");
}

void register_training_commands(CLI::App& app) {
  auto options = std::make_shared<PretrainOptions>();
  options->trainer.learning_rate = 2e-3;
  options->trainer.epochs = 30;
  options->trainer.checkpoint_every = 20;
  auto* command = app.add_subcommand(
      "pretrain", "Train the embedded default base model (tokenizer + small Llama) on text");
  auto* data = command->add_option("--data", options->text_paths,
                                   "World directory (reads pretrain.txt), text file (a document "
                                   "per line) or JSONL of {\"text\": ...} records; repeatable");
  data->required();
  command->add_option("--curriculum", options->curriculum_paths,
                      "Text trained on first, in epochs of its own: a world directory (reads "
                      "copy.txt, copy practice) or text file; repeatable");
  command
      ->add_option("--curriculum-epochs", options->curriculum_epochs,
                   "Passes over the curriculum before the --data epochs")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--out", options->out_dir, "Checkpoint directory to write")->required();
  command->add_option("--preset", options->preset, "Model shape")
      ->check(CLI::IsMember(preset_names()));
  command->add_option("--vocab-size", options->vocab_size, "BPE vocabulary size")
      ->check(CLI::Range(int64_t{300}, int64_t{1} << 20));
  command->add_option("--seq-len", options->sequence_length, "Tokens per training row")
      ->check(CLI::PositiveNumber);
  command->add_option("--batch", options->batch_size, "Rows per optimizer step")
      ->check(CLI::PositiveNumber);
  command->add_option("--device", options->device, "cpu, cuda or cuda:N");
  add_trainer_options(*command, options->trainer);
  command->callback([options] {
    auto run = *options;
    // A world directory stands for one of its files; `missing` explains a world without it.
    const auto in_world = [](std::vector<std::string>& paths, const char* file,
                             const char* missing) {
      for (auto& path : paths) {
        if (!std::filesystem::is_directory(path)) continue;
        path = (std::filesystem::path(path) / file).string();
        if (!std::filesystem::exists(path)) throw Error(path + ": no such file (" + missing + ")");
      }
    };
    in_world(run.text_paths, "pretrain.txt", "not a world directory: `kvchain data generate`");
    in_world(
        run.curriculum_paths, "copy.txt",
        "a world has copy.txt only when generated with `kvchain data generate --copy-lines N`");
    pretrain(run);
  });
}

}  // namespace kvchain::cli
