#include <memory>

#include "app/commands.h"
#include "app/options.h"
#include "data/world/generate.h"
#include "engine/model/model_presets.h"
#include "engine/training/pretrain.h"

namespace kvchain::app {

void register_pretrain_command(CLI::App& app) {
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
      ->check(non_negative());
  command->add_option("--out", options->out_dir, "Checkpoint directory to write")->required();
  auto* preset = command->add_option("--preset", options->preset, "Model shape")
                     ->check(CLI::IsMember(preset_names()));
  auto* vocab = command->add_option("--vocab-size", options->vocab_size, "BPE vocabulary size")
                    ->check(CLI::Range(int64_t{300}, int64_t{1} << 20));
  command
      ->add_option("--init", options->init_dir,
                   "Go on training this base (its shape, weights and tokenizer) instead of a "
                   "new one")
      ->check(CLI::ExistingDirectory)
      ->excludes(preset)
      ->excludes(vocab);
  command
      ->add_option("--tokenizer-from", options->tokenizer_dir,
                   "Take the tokenizer beside this checkpoint instead of training one, so that "
                   "models of different shapes share it (chains of different models)")
      ->check(CLI::ExistingDirectory)
      ->excludes(vocab)
      ->excludes("--init");
  command->add_option("--seq-len", options->sequence_length, "Tokens per training row")
      ->check(positive());
  command->add_option("--batch", options->batch_size, "Rows per optimizer step")->check(positive());
  command->add_option("--device", options->device, "cpu, cuda or cuda:N");
  add_trainer_options(*command, options->trainer);
  command->callback([options] {
    auto run = *options;
    for (auto& path : run.text_paths) {
      path = data::world_text_file(path, data::WorldText::kPretrain);
    }
    for (auto& path : run.curriculum_paths) {
      path = data::world_text_file(path, data::WorldText::kCopyPractice);
    }
    pretrain(run);
  });
}

}  // namespace kvchain::app
