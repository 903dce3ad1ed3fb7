#pragma once

#include <CLI/CLI.hpp>

namespace kvchain::tasks {

// `kvchain train` (one chain member), `kvchain practice` (pretraining text in chain layout) and
// `kvchain chain` (run and score a chain).
void register_task_commands(CLI::App& app);

}  // namespace kvchain::tasks
