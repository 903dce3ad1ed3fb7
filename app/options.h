#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/training/trainer.h"

namespace kvchain::app {

// Checks that an option's value is a number above 0 (`positive`), or at least 0
// (`non_negative`), saying so in words a user reads ("must be positive, not 0").
const CLI::Validator& positive();
const CLI::Validator& non_negative();

// --epochs, --lr, --seed, --checkpoint-every, shared by every command that trains.
void add_trainer_options(CLI::App& command, TrainerOptions& options);

// Parses "1,2,3" (spaces allowed); `option` names the flag in errors.
std::vector<int64_t> parse_id_list(const std::string& text, const std::string& option);

// "--adapter compressor=FILE" (repeatable) into member -> file.
std::map<std::string, std::string> parse_adapters(const std::vector<std::string>& items);

}  // namespace kvchain::app
