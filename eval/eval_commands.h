#pragma once

#include <CLI/CLI.hpp>

namespace kvchain::eval {

// `kvchain eval --predictions FILE [--against FILE]`: scores with bootstrap intervals, and a
// paired test of one system against another.
void register_eval_commands(CLI::App& app);

}  // namespace kvchain::eval
