#include <c10/util/Exception.h>

#include <iostream>

#include "data/data_commands.h"
#include "engine/cli/commands.h"
#include "engine/io/error.h"
#include "engine/model/host_memory.h"
#include "eval/eval_commands.h"
#include "eval/report_commands.h"
#include "retrievers/retriever_commands.h"
#include "tasks/task_commands.h"

namespace kvchain::cli {

std::vector<int64_t> parse_id_list(const std::string& text, const std::string& option) {
  std::vector<int64_t> ids;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(item.substr(first), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || item.find_first_not_of(" \t", first + used) != std::string::npos) {
      throw Error(option + ": '" + item + "' is not an integer token id");
    }
    ids.push_back(value);
  }
  if (ids.empty()) throw Error(option + ": no token ids given");
  return ids;
}

}  // namespace kvchain::cli

int main(int argc, char** argv) {
  kvchain::keep_freed_host_memory();
  CLI::App app{"kvchain: chains of prompt-tuned language models sharing one KV cache (FTHSS)"};
  app.require_subcommand(1);
  kvchain::cli::register_model_commands(app);
  kvchain::cli::register_tokenizer_commands(app);
  kvchain::cli::register_training_commands(app);
  kvchain::data::register_data_commands(app);
  kvchain::tasks::register_task_commands(app);
  kvchain::retrievers::register_retriever_commands(app);
  kvchain::eval::register_eval_commands(app);
  kvchain::eval::register_report_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const kvchain::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "error (libtorch): " << e.what_without_backtrace() << "\n";
    return 1;
  }
  return 0;
}
