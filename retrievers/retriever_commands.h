#pragma once

#include <CLI/CLI.hpp>

namespace kvchain::retrievers {

// `kvchain index` and `kvchain retrieve [eval]`.
void register_retriever_commands(CLI::App& app);

}  // namespace kvchain::retrievers
