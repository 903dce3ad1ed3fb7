// The `kvchain` tool: one subcommand per job, each group registered from its own file.
#include <c10/util/Exception.h>

#include <filesystem>
#include <iostream>
#include <new>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/options.h"
#include "engine/io/error.h"
#include "engine/model/host_memory.h"

int main(int argc, char** argv) {
  kvchain::keep_freed_host_memory();
  CLI::App app{"kvchain: chains of prompt-tuned language models sharing one KV cache (FTHSS)"};
  app.require_subcommand(1);
  kvchain::app::register_model_commands(app);
  kvchain::app::register_tokenizer_commands(app);
  kvchain::app::register_pretrain_command(app);
  kvchain::app::register_data_commands(app);
  kvchain::app::register_experiment_commands(app);
  kvchain::app::register_retriever_commands(app);
  kvchain::app::register_eval_commands(app);
  // Every failure ends in one "error: ..." line: usage errors with kUsageExit, every other
  // error with 1. Only --help (and an empty command line's help) exits 0 from here.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::cerr << "error: " << e.what() << " (see kvchain --help)\n";
    return kvchain::app::kUsageExit;
  } catch (const kvchain::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "error (libtorch): " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "error: " << e.what() << "\n";  // names the path(s) and the system's reason
    return 1;
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "error: JSON: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
