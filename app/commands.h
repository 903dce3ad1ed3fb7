#pragma once

#include <CLI/CLI.hpp>

namespace kvchain::app {

// Each group of subcommands registers itself on the root app; a command's callback parses its
// options into the libraries' option structs and calls them.
void register_model_commands(CLI::App& app);       // generate, info, convert
void register_tokenizer_commands(CLI::App& app);   // tokenize, train-tokenizer
void register_pretrain_command(CLI::App& app);     // pretrain
void register_data_commands(CLI::App& app);        // data generate | stats | import
void register_retriever_commands(CLI::App& app);   // index, retrieve [eval]
void register_eval_commands(CLI::App& app);        // eval, report table | compare
void register_experiment_commands(CLI::App& app);  // train, practice, chain, suite
void register_alignment_commands(CLI::App& app);   // align train

}  // namespace kvchain::app
