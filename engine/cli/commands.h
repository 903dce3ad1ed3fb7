#pragma once

#include <CLI/CLI.hpp>

#include "engine/training/trainer.h"

namespace kvchain::cli {

// Each group of subcommands registers itself on the root app.
void register_model_commands(CLI::App& app);
void register_tokenizer_commands(CLI::App& app);
void register_training_commands(CLI::App& app);

// --epochs, --lr, --seed, --checkpoint-every, shared by every command that trains.
void add_trainer_options(CLI::App& command, TrainerOptions& options);

// Parses "1,2,3" (spaces allowed); `option` names the flag in errors.
std::vector<int64_t> parse_id_list(const std::string& text, const std::string& option);

}  // namespace kvchain::cli
