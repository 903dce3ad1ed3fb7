#pragma once

#include <CLI/CLI.hpp>

namespace kvchain::eval {

// `kvchain report table SCORES.json [--out DIR]` and `kvchain report compare OLD NEW`.
void register_report_commands(CLI::App& app);

}  // namespace kvchain::eval
