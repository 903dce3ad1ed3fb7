#pragma once

#include <CLI/CLI.hpp>

namespace kvchain::data {

// `kvchain data generate | stats | import`.
void register_data_commands(CLI::App& app);

}  // namespace kvchain::data
